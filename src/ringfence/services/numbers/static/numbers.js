"use strict";
// The numbers page: generate through the JSON API, copy, download, check.
(function () {
  const $ = (id) => document.getElementById(id);
  const form = $("generate");

  function params() {
    const p = new URLSearchParams({
      region: $("region").value,
      type: $("type").value,
      count: $("count").value || "10",
      safe: $("safe").checked ? "true" : "false",
    });
    if ($("seed").value !== "") p.set("seed", $("seed").value);
    if ($("prefix").value.trim() !== "") p.set("prefix", $("prefix").value.trim());
    p.set("format", $("format").value);
    return p;
  }

  function syncTypes() {
    const allowed = ($("region").selectedOptions[0].dataset.types || "").split(",");
    for (const opt of $("type").options) {
      opt.disabled = opt.value !== "any" && !allowed.includes(opt.value);
    }
    if ($("type").selectedOptions[0].disabled) $("type").value = "any";
    syncDownload();
  }

  function syncDownload() {
    const p = params();
    p.append("format", "csv");
    $("download").href = "/api/numbers/download?" + p.toString();
  }

  async function errorText(resp) {
    try {
      const body = await resp.json();
      return body.error ? body.error.message : resp.statusText;
    } catch (e) {
      return resp.statusText;
    }
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("error").textContent = "";
    const resp = await fetch("/api/numbers?" + params().toString());
    const tbody = $("results").querySelector("tbody");
    tbody.replaceChildren();
    if (!resp.ok) {
      $("error").textContent = await errorText(resp);
      $("results").hidden = true;
      return;
    }
    const data = await resp.json();
    for (const n of data.numbers) {
      const tr = document.createElement("tr");
      for (const v of [n.e164, n.number, typeWords(n.type), n.valid ? "yes" : "no", n.fictional ? "yes" : "no"]) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      }
      tr.firstChild.className = "number";
      const copy = document.createElement("button");
      copy.type = "button";
      copy.textContent = "Copy";
      copy.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(n.e164);
          copy.textContent = "Copied";
        } catch (e) {
          copy.textContent = "Select it";
        }
      });
      const td = document.createElement("td");
      td.appendChild(copy);
      tr.appendChild(td);
      tbody.appendChild(tr);
    }
    $("results").hidden = false;
  });

  function yesNo(v) {
    return v ? "yes" : "no";
  }

  // A type as the type menu names it ("fixed line"), a region by its name ("Türkiye").
  function typeWords(type) {
    const option = $("type").querySelector(`option[value="${CSS.escape(type)}"]`);
    return option ? option.textContent : type.replaceAll("_", " ");
  }
  function regionName(code) {
    const option = code && $("region").querySelector(`option[value="${CSS.escape(code)}"]`);
    return option ? option.textContent.replace(/ \(\+\d+\)$/, "") : code;
  }

  // The check's verdict in one sentence, before its details.
  function verdict(info) {
    const where = info.region ? regionName(info.region) : "no country";
    let text;
    if (info.valid) {
      text = `A valid ${typeWords(info.type)} number in ${where}` +
        (info.description && info.description !== where ? ` (${info.description})` : "") + ".";
    } else if (info.possible) {
      text = `Not a valid number: it has the length of a number in ${where}, but no number in use there starts like this.`;
    } else {
      text = "Not a valid number: it cannot be a phone number in " + where + " (wrong length or digits).";
    }
    if (info.fictional) text += " It is reserved for fiction, so it never rings anyone.";
    return text;
  }

  // What the check says of a number, as a person reads it: its own type (what libphonenumber
  // reports), and for a reserved number who reserves it and why it may not validate.
  function showCheck(info) {
    const rows = [
      ["Number", info.international],
      ["National", info.national],
      ["Type", typeWords(info.type)],
      ["Valid", yesNo(info.valid)],
      ["Possible", yesNo(info.possible)],
      ["Region", info.region ? regionName(info.region) : "none (not in service)"],
    ];
    if (info.description) rows.push(["Place", info.description]);
    rows.push(["Fiction", info.fictional ? info.fiction_note : "no"]);
    $("check-verdict").textContent = verdict(info);
    $("check-verdict").dataset.valid = yesNo(info.valid);
    const dl = $("check-result");
    dl.replaceChildren();
    for (const [label, value] of rows) {
      const dt = document.createElement("dt");
      dt.textContent = label;
      const dd = document.createElement("dd");
      dd.textContent = value;
      dd.dataset.field = label.toLowerCase();
      dl.append(dt, dd);
    }
  }

  $("check").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("check-error").textContent = "";
    $("check-verdict").textContent = "";
    $("check-result").replaceChildren();
    const resp = await fetch("/api/numbers/check", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ number: $("check-number").value, region: $("region").value }),
    });
    if (resp.ok) showCheck(await resp.json());
    else $("check-error").textContent = await errorText(resp);
  });

  let verdictsUrl = null;
  $("check-file").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = $("check-file-input").files[0];
    const fmt = $("check-file-format").value;
    $("check-file-error").textContent = "";
    $("check-file-summary").textContent = "Checking…";
    $("check-file-download").hidden = true;
    if (verdictsUrl) URL.revokeObjectURL(verdictsUrl);
    const p = new URLSearchParams({ region: $("region").value, format: fmt });
    const resp = await fetch("/api/numbers/validate?" + p.toString(), {
      method: "POST",
      headers: { "Content-Type": fmt === "csv" ? "text/csv" : "text/plain" },
      body: file,
    });
    if (!resp.ok) {
      $("check-file-summary").textContent = "";
      $("check-file-error").textContent = await errorText(resp);
      return;
    }
    const blob = await resp.blob();
    const text = await blob.text();
    const lines = text.split("\n").filter((l) => l !== "");
    const rows = fmt === "csv" ? lines.slice(1) : lines;
    const valid = fmt === "csv"
      ? rows.filter((l) => /^\d+,(?:"[^"]*"|[^,]*),true,/.test(l)).length
      : rows.filter((l) => JSON.parse(l).valid).length;
    $("check-file-summary").textContent =
      rows.length + " rows checked: " + valid + " valid, " + (rows.length - valid) + " not.";
    verdictsUrl = URL.createObjectURL(blob);
    const link = $("check-file-download");
    link.href = verdictsUrl;
    link.download = "verdicts." + fmt;
    link.hidden = false;
  });

  function rememberRegion() {
    // An optional preference cookie: only with consent (never under Global Privacy Control).
    if (window.ringfence && window.ringfence.consent("preferences")) {
      document.cookie =
        "rf_numbers_region=" + $("region").value + "; max-age=31536000; path=/; SameSite=Lax";
    }
  }

  $("region").addEventListener("change", () => {
    syncTypes();
    rememberRegion();
  });
  document.addEventListener("ringfence:consent", rememberRegion);
  for (const id of ["type", "safe", "count", "seed", "prefix", "format"]) $(id).addEventListener("change", syncDownload);
  syncTypes();
})();
