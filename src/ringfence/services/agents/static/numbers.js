"use strict";
// Follow a call that proves a number: poll its steps and show them, then reload the page
// (without the call's id) once it has ended, so the list shows the number if it was verified.
document.addEventListener("DOMContentLoaded", () => {
  const status = document.getElementById("verifying");
  if (!status) return;
  const said = { dialling: "Calling the number…", ringing: "Ringing: answer it and type the code.",
    answered: "Answered: type the code on the keypad." };
  const poll = async () => {
    const resp = await fetch(status.dataset.url, { headers: { Accept: "application/json" } });
    if (!resp.ok) { status.textContent = "This call is no longer followed here."; return; }
    const body = await resp.json();
    const last = body.steps[body.steps.length - 1];
    if (body.finished) {
      status.dataset.outcome = last.outcome;
      status.textContent = last.outcome === "verified" ? "Verified: the number is the business's."
        : "Not verified: the code was not typed. Ask for a new code to try again.";
      setTimeout(() => window.location.assign(status.dataset.done), 2000);
      return;
    }
    if (last) status.textContent = said[last.state] || status.textContent;
    setTimeout(poll, 1000);
  };
  poll();
});
