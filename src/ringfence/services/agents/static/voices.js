"use strict";
// A voice's recording is uploaded to the API as the request body (a WAV file), then the voice is
// made from it; each step's answer is shown next to the voice, and the page reloads to show the
// voice's new state once it has one.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll(".sample-form")) {
    const status = form.querySelector(".voice-status");
    const headers = (type) => ({ "Content-Type": type, "X-CSRF-Token": form.dataset.csrf });
    async function send(url, method, type, body) {
      const resp = await fetch(url, { method, headers: headers(type), body });
      let answer = {};
      try { answer = await resp.json(); } catch (e) { /* no body */ }
      if (!resp.ok) {
        status.dataset.ok = "no";
        status.textContent = (answer.error && answer.error.message) || resp.statusText;
      }
      return resp.ok;
    }
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      status.textContent = "Uploading…";
      delete status.dataset.ok;
      const file = form.querySelector("input[type=file]").files[0];
      if (await send(form.dataset.url + "/sample", "PUT", "audio/wav", file)) window.location.reload();
    });
    const make = form.querySelector(".make");
    if (make) {
      make.addEventListener("click", async () => {
        status.textContent = "Making the voice…";
        delete status.dataset.ok;
        if (await send(form.dataset.url + "/make", "POST", "application/json", "{}")) window.location.reload();
      });
    }
  }
});
