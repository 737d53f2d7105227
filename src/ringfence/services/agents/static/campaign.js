"use strict";
// Upload a contact list: the file goes as the request body to the streaming import API. The
// report (counts, and each rejected row with why) stays on the page until it is dismissed; the
// lists table and the campaign form's list choice are brought up to date in place.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  const report = $("upload-report");

  function show(ok, summary, errors) {
    report.dataset.ok = ok ? "yes" : "no";
    $("upload-summary").textContent = summary;
    $("upload-errors").replaceChildren(...errors.map((e) => {
      const item = document.createElement("li");
      item.textContent = `Row ${e.row}: ${e.reason}`;
      return item;
    }));
    report.hidden = false;
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  async function refreshLists(chosen) {
    const resp = await fetch(form.dataset.url, { headers: { Accept: "application/json" } });
    if (!resp.ok) return;
    const lists = (await resp.json()).lists;
    $("lists").querySelector("tbody").replaceChildren(...lists.map((l) => {
      const row = document.createElement("tr");
      row.append(cell(l.name), cell(l.imported), cell(l.duplicates), cell(l.rejected));
      return row;
    }));
    const select = $("c-list");
    if (!select) return;
    select.replaceChildren(...lists.map((l) => new Option(l.name, l.id, false, l.id === chosen)));
    $("new-campaign").hidden = false;
    $("no-list").hidden = true;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const query = new URLSearchParams({ name: $("list-name").value, phone_column: $("list-phone").value });
    for (const [key, id] of [["name_column", "list-person"], ["consent_column", "list-consent"],
      ["consent_source_column", "list-source"], ["region", "list-region"]]) {
      if ($(id).value.trim()) query.set(key, $(id).value.trim());
    }
    show(true, "Uploading…", []);
    delete report.dataset.ok;
    const resp = await fetch(form.dataset.url + "?" + query, {
      method: "POST",
      headers: { "Content-Type": "text/csv", "X-CSRF-Token": form.dataset.csrf },
      body: $("list-file").files[0],
    });
    let body = {};
    try { body = await resp.json(); } catch (e) { /* not JSON */ }
    if (!resp.ok) {
      show(false, "Not imported: " + ((body.error && body.error.message) || resp.statusText), []);
      return;
    }
    const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;
    show(true, `“${$("list-name").value}”: ${count(body.imported, "contact imported", "contacts imported")}, ` +
      `${count(body.duplicates, "duplicate", "duplicates")} skipped, ${count(body.rejected, "row", "rows")} rejected.`,
      body.errors);
    await refreshLists(body.id);
  });

  $("upload-dismiss").addEventListener("click", () => {
    report.hidden = true;
    $("list-file").focus();
  });
});

// Live progress of a running campaign, read from the API every two seconds, in words.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("progress");
  if (!box) return;
  const $ = (id) => document.getElementById(id);
  const words = JSON.parse(box.dataset.words || "{}");
  const say = (kind, value) => ((words[kind] || {})[value]) || String(value).replaceAll("_", " ");
  async function refresh() {
    const resp = await fetch(box.dataset.url);
    if (!resp.ok) return;
    const body = await resp.json();
    box.dataset.state = $("state").dataset.state = body.campaign.state;
    $("state").textContent = say("campaign", body.campaign.state);
    $("contacts").textContent = body.contacts;
    $("dialled").textContent = body.dialled;
    $("answered").textContent = body.answered;
    const parts = Object.entries(body.outcomes).map(([k, v]) => `${say("outcome", k)}: ${v}`);
    $("outcomes").textContent = parts.join(", ") || "none yet";
  }
  setInterval(() => { if (box.dataset.state === "running") refresh(); }, 2000);
});
