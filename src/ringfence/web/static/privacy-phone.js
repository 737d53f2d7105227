"use strict";
// Privacy requests by phone number: get a code, be called, type it; then see, export,
// restrict or erase what is held about the number.
(function () {
  const $ = (id) => document.getElementById(id);
  const LABELS = { dialling: "Calling your number…", ringing: "Your phone is ringing.",
    answered: "Answered: type the code on the keypad." };
  const OUTCOMES = { proved: "The code was typed: the number is proved.",
    "not proved": "The code was not typed: ask for a new one and try again.",
    failed: "The call could not be placed." };
  let token = "";
  let solution = "";  // the captcha's, once solved; each code needs a new one

  $("captcha").addEventListener("statechange", (ev) => {
    solution = ev.detail.state === "verified" ? ev.detail.payload : "";
  });
  function resetCaptcha() {
    solution = "";
    if (typeof $("captcha").reset === "function") $("captcha").reset();
  }

  async function post(url, body) {
    const resp = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await resp.json();
    if (!resp.ok) throw new Error(data.error ? data.error.message : resp.statusText);
    return data;
  }

  $("phone-offer").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("number-error").textContent = "";
    if (!solution) { $("number-error").textContent = "Tick “I'm not a robot” first."; return; }
    const captcha = solution;
    resetCaptcha();
    try {
      const made = await post("/api/privacy/phone", { number: $("number").value, captcha: captcha });
      token = made.token;
      $("code").textContent = made.code;
      $("offered-number").textContent = made.number;
      $("code-box").hidden = false;
    } catch (err) {
      $("number-error").textContent = err.message;
    }
  });

  $("call-me").addEventListener("click", async () => {
    $("call-error").textContent = "";
    try {
      const placed = await post("/api/privacy/phone/call", { token: token });
      follow(placed.id);
    } catch (err) {
      $("call-error").textContent = err.message;
    }
  });

  function follow(callId) {
    const list = $("progress");
    list.hidden = false;
    list.innerHTML = "";
    const source = new EventSource("/api/privacy/phone/calls/" + encodeURIComponent(callId) + "/events");
    source.onmessage = async (msg) => {
      const step = JSON.parse(msg.data);
      const item = document.createElement("li");
      item.dataset.state = step.state;
      if (step.state === "ended") {
        source.close();
        item.dataset.outcome = step.outcome || "";
        item.textContent = OUTCOMES[step.outcome] || "Call ended.";
        list.appendChild(item);
        if (step.outcome === "proved") await proved();
        return;
      }
      item.textContent = LABELS[step.state] || step.state;
      list.appendChild(item);
    };
    source.onerror = () => source.close();
  }

  async function proved() {
    try {
      await post("/api/privacy/phone/session", { token: token });
      await summary();
    } catch (err) {
      $("call-error").textContent = err.message;
    }
  }

  async function summary() {
    const resp = await fetch("/api/privacy/phone/summary");
    const data = await resp.json();
    if (!resp.ok) throw new Error(data.error ? data.error.message : resp.statusText);
    $("proved-number").textContent = data.number;
    const ends = new Date(data.expires_at);
    $("session-ends").dateTime = data.expires_at;
    $("session-ends").textContent = new Intl.DateTimeFormat(undefined, { timeStyle: "short" }).format(ends);
    const body = $("holdings").tBodies[0];
    body.innerHTML = "";
    for (const h of data.holdings) {
      const row = body.insertRow();
      for (const text of [h.title, h.service, String(h.records), String(h.businesses)]) {
        row.insertCell().textContent = text;
      }
    }
    $("nothing").hidden = data.holdings.length > 0;
    $("holdings").hidden = data.holdings.length === 0;
    $("prove").hidden = true;
    $("proved").hidden = false;
  }

  $("phone-request").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("request-error").textContent = "";
    const kind = new FormData($("phone-request")).get("kind");
    try {
      const done = await post("/api/privacy/phone/requests", { kind: kind });
      $("request-id").textContent = done.request;
      $("told").textContent = done.businesses_told
        ? done.businesses_told + " business(es) whose records it touched were told."
        : "";
      const link = $("export-link");
      if (done.export) {
        const blob = new Blob([JSON.stringify(done.export, null, 2)], { type: "application/json" });
        link.href = URL.createObjectURL(blob);
        link.hidden = false;
      } else {
        link.hidden = true;
      }
      $("answer").hidden = false;
      if (kind === "erase") $("phone-request").hidden = true;
      else await summary();
    } catch (err) {
      $("request-error").textContent = err.message;
    }
  });
})();
