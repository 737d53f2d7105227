"use strict";
// Try an agent in text: what it would say to what a caller says.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("try");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const resp = await fetch(form.dataset.url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: document.getElementById("said").value }),
    });
    const body = await resp.json();
    const out = document.getElementById("reply");
    out.dataset.kind = body.kind || "";
    out.textContent = resp.ok ? body.reply + " (" + body.kind + ")" : body.error.message;
  });
});
