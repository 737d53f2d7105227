"use strict";
// Upload a contact list: the file goes as the request body to the streaming import API.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload");
  if (!form) return;
  const $ = (id) => document.getElementById(id);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const query = new URLSearchParams({ name: $("list-name").value, phone_column: $("list-phone").value });
    for (const [key, id] of [["name_column", "list-person"], ["consent_column", "list-consent"],
      ["consent_source_column", "list-source"], ["region", "list-region"]]) {
      if ($(id).value.trim()) query.set(key, $(id).value.trim());
    }
    const report = $("upload-report");
    report.textContent = "Uploading…";
    const resp = await fetch(form.dataset.url + "?" + query, {
      method: "POST",
      headers: { "Content-Type": "text/csv", "X-CSRF-Token": form.dataset.csrf },
      body: $("list-file").files[0],
    });
    const body = await resp.json();
    if (!resp.ok) { report.dataset.ok = "no"; report.textContent = body.error.message; return; }
    const errors = body.errors.map((e) => `row ${e.row}: ${e.reason}`).join("; ");
    report.dataset.ok = "yes";
    report.textContent = `${body.imported} imported, ${body.duplicates} duplicates, ${body.rejected} rejected` +
      (errors ? ` (${errors})` : "");
    setTimeout(() => window.location.reload(), 1500);
  });
});

// Live progress of a running campaign, read from the API every two seconds.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("progress");
  if (!box) return;
  const $ = (id) => document.getElementById(id);
  async function refresh() {
    const resp = await fetch(box.dataset.url);
    if (!resp.ok) return;
    const body = await resp.json();
    box.dataset.state = $("state").textContent = body.campaign.state;
    $("contacts").textContent = body.contacts;
    $("dialled").textContent = body.dialled;
    $("answered").textContent = body.answered;
    const parts = Object.entries(body.outcomes).map(([k, v]) => `${k.replace("_", " ")} ${v}`);
    $("outcomes").textContent = parts.join(", ") || "none yet";
  }
  setInterval(() => { if (box.dataset.state === "running") refresh(); }, 2000);
});
