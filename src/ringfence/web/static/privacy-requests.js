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
    // The deadline in the reader's own language and time zone.
    const by = new Date(body.answer_by);
    $("answer-by").dateTime = body.answer_by;
    $("answer-by").textContent = new Intl.DateTimeFormat(undefined, { dateStyle: "long" }).format(by);
    $("receipt-link").href = "/privacy/requests/" + encodeURIComponent(body.request) + "/receipt";
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
