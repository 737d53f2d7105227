"use strict";
// Rights requests from the browser: send, show the answer, offer the export as a file.
(function () {
  const $ = (id) => document.getElementById(id);
  $("rights").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("request-error").textContent = "";
    const resp = await fetch("/privacy/requests", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ kind: $("kind").value }),
    });
    const body = await resp.json();
    if (!resp.ok) {
      $("request-error").textContent = body.error ? body.error.message : resp.statusText;
      return;
    }
    $("request-id").textContent = body.request;
    $("answer-by").textContent = body.answer_by;
    $("receipt").textContent = JSON.stringify(JSON.parse(body.receipt), null, 2);
    const link = $("export-link");
    if (body.export) {
      const blob = new Blob([JSON.stringify(body.export, null, 2)], { type: "application/json" });
      link.href = URL.createObjectURL(blob);
      link.hidden = false;
    } else {
      link.hidden = true;
    }
    $("answer").hidden = false;
  });
})();
