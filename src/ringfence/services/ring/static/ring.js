"use strict";
// The ring page: live number checks, which number will call, the captcha, Ring with live
// progress and Cancel, do-not-ring, and the service worker that makes the page installable.
(function () {
  const $ = (id) => document.getElementById(id);
  const NUMBER_COOKIE = "rf_ring_number";
  const LABELS = {
    dialling: "Dialling…",
    ringing: "Ringing your phone…",
    answered: "Answered",
  };
  const OUTCOMES = {
    answered: "Call ended.",
    no_answer: "Nobody answered: the phone rang until the ring time ran out.",
    busy: "The line was busy.",
    rejected: "The call was refused by the network.",
    cancelled: "Cancelled: the call was ended.",
    failed: "The call could not be placed.",
    max_duration: "Call ended.",
    completed: "Call ended.",
  };
  const solutions = {};
  let ringing = null; // the ring in progress: { id, cancel }
  let currentFrom; // the caller ID of the last ring placed ("" withheld)

  function humanSeconds(seconds) {
    const s = Math.round(seconds);
    if (s % 60 === 0) return s === 60 ? "1 minute" : (s / 60) + " minutes";
    return s + " seconds";
  }

  // -- which number will call --------------------------------------------------------------------
  // ``number``: the caller ID for people, "" when withheld, undefined when the number typed
  // decides; ``during``: the seconds the ring in progress rings at most.
  function showCallingFrom(number, during) {
    const box = $("calling-from");
    box.textContent = "";
    if (number === undefined) {
      box.textContent = "Type your number to see which number will call it.";
      return;
    }
    let from = "a withheld number (no caller ID)";
    if (number) {
      from = document.createElement("strong");
      from.className = "number";
      from.textContent = number;
    }
    if (during) {
      box.append("Calling your phone from ", from, ": it rings for " + humanSeconds(during) + " at most.");
    } else {
      box.append("Your phone will ring from ", from, ".");
    }
  }
  function pageCallingFrom() {
    const box = $("calling-from");
    return box.dataset.varies === "1" ? undefined : box.dataset.number;
  }

  function readCookie(name) {
    const hit = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return hit ? decodeURIComponent(hit.slice(name.length + 1)) : "";
  }

  function rememberNumber(value) {
    const secure = location.protocol === "https:" ? "; Secure" : "";
    if (value) {
      document.cookie = NUMBER_COOKIE + "=" + encodeURIComponent(value) +
        "; Max-Age=31536000; Path=/ring; SameSite=Strict" + secure;
    } else {
      document.cookie = NUMBER_COOKIE + "=; Max-Age=0; Path=/ring; SameSite=Strict" + secure;
    }
  }

  async function errorText(resp) {
    try {
      const body = await resp.json();
      if (body.error) return body.error.message;
      if (body.detail) return Array.isArray(body.detail) ? body.detail[0].msg : body.detail;
    } catch (e) { /* not JSON */ }
    return resp.statusText || "request failed";
  }

  // -- live validation ---------------------------------------------------------------------------
  let checkSeq = 0;
  let checkTimer = null;
  async function checkNumber() {
    const value = $("number").value;
    const hint = $("number-check");
    if (!value.trim()) {
      hint.textContent = ""; hint.classList.remove("bad");
      if (!ringing) showCallingFrom(pageCallingFrom());
      return;
    }
    const seq = ++checkSeq;
    const resp = await post("/api/ring/check", { number: value, country: $("country").value });
    if (seq !== checkSeq) return; // a newer keystroke won
    if (!resp.ok) { hint.textContent = await errorText(resp); hint.classList.add("bad"); return; }
    const body = await resp.json();
    const input = $("number");
    if (document.activeElement === input && input.selectionStart === input.value.length &&
        body.formatted && body.formatted.replace(/\D/g, "") === value.replace(/\D/g, "")) {
      input.value = body.formatted; // formats as you type when typing at the end
    }
    if (body.ok) {
      hint.textContent = "✓ " + body.international + " · " + body.kind + " · " + (body.country_name || body.country);
      hint.classList.remove("bad");
      if (!ringing) showCallingFrom(body.calling_from || "");
    } else {
      hint.textContent = body.error;
      hint.classList.add("bad");
    }
    hint.dataset.ok = body.ok ? "1" : "0";
  }
  function scheduleCheck() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(checkNumber, 150);
  }

  // -- captcha -----------------------------------------------------------------------------------
  function watchCaptcha(id) {
    const widget = $(id);
    widget.addEventListener("statechange", (ev) => {
      solutions[id] = ev.detail.state === "verified" ? ev.detail.payload : "";
    });
  }
  function resetCaptcha(id) {
    solutions[id] = "";
    const widget = $(id);
    if (typeof widget.reset === "function") widget.reset();
  }

  // -- progress ----------------------------------------------------------------------------------
  function follow(ringId, list, onEnd) {
    list.hidden = false;
    list.innerHTML = "";
    list.dataset.ring = ringId;
    const source = new EventSource("/api/ring/" + encodeURIComponent(ringId) + "/events");
    source.onmessage = (msg) => {
      const step = JSON.parse(msg.data);
      const item = document.createElement("li");
      item.dataset.state = step.state;
      if (step.state === "ended") {
        item.dataset.outcome = step.outcome || "";
        let text = OUTCOMES[step.outcome] || "Call ended.";
        if (step.opted_out) text += " This number is now on the never-ring list.";
        item.textContent = text;
        source.close();
        if (onEnd) onEnd();
      } else {
        item.textContent = LABELS[step.state] || step.state;
      }
      list.appendChild(item);
    };
    source.onerror = () => { source.close(); if (onEnd) onEnd(); };
  }

  function ringEnded() {
    ringing = null;
    $("cancel-button").hidden = true;
    $("cancel-button").disabled = false;
    $("ring-button").hidden = false;
    showCallingFrom(currentFrom);
  }

  async function cancelRing() {
    if (!ringing) return;
    $("error").textContent = "";
    $("cancel-button").disabled = true;
    const resp = await post("/api/ring/" + encodeURIComponent(ringing.id) + "/cancel",
      { token: ringing.cancel });
    if (!resp.ok) {
      $("error").textContent = await errorText(resp);
      $("cancel-button").disabled = false;
    }
  }

  async function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  async function ring(ev) {
    ev.preventDefault();
    $("error").textContent = "";
    if (!solutions.captcha) { $("error").textContent = "Tick “I'm not a robot” first."; return; }
    const number = $("number").value;
    if ($("remember").checked) rememberNumber(number); else rememberNumber("");
    $("ring-button").disabled = true;
    try {
      const pickup = $("until-pickup");
      const resp = await post("/api/ring", {
        number: number, country: $("country").value, captcha: solutions.captcha,
        until_pickup: pickup ? pickup.checked : false,
      });
      if (!resp.ok) { $("error").textContent = await errorText(resp); return; }
      const body = await resp.json();
      ringing = { id: body.id, cancel: body.cancel };
      currentFrom = body.calling_from || "";
      showCallingFrom(currentFrom, body.rings_for);
      $("ring-button").hidden = true;
      $("cancel-button").hidden = false;
      $("cancel-button").focus();
      follow(body.id, $("progress"), ringEnded);
    } finally {
      resetCaptcha("captcha");
      $("ring-button").disabled = false;
    }
  }

  let optoutToken = "";
  async function optout(ev) {
    ev.preventDefault();
    $("optout-error").textContent = "";
    if (!solutions["optout-captcha"]) {
      $("optout-error").textContent = "Tick “I'm not a robot” first.";
      return;
    }
    const resp = await post("/api/ring/optout", {
      number: $("optout-number").value, country: $("country").value,
      captcha: solutions["optout-captcha"],
    });
    resetCaptcha("optout-captcha");
    if (!resp.ok) { $("optout-error").textContent = await errorText(resp); return; }
    const body = await resp.json();
    optoutToken = body.token;
    $("code").textContent = body.code;
    $("optout-code").hidden = false;
  }

  async function callForCode() {
    $("optout-error").textContent = "";
    const resp = await post("/api/ring/optout/call", { token: optoutToken });
    if (!resp.ok) { $("optout-error").textContent = await errorText(resp); return; }
    const body = await resp.json();
    follow(body.id, $("optout-progress"));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const remembered = readCookie(NUMBER_COOKIE);
    if (remembered) { $("number").value = remembered; $("remember").checked = true; checkNumber(); }
    $("number").addEventListener("input", scheduleCheck);
    $("country").addEventListener("change", checkNumber);
    $("remember").addEventListener("change", () => { if (!$("remember").checked) rememberNumber(""); });
    watchCaptcha("captcha");
    watchCaptcha("optout-captcha");
    $("ring").addEventListener("submit", ring);
    $("optout").addEventListener("submit", optout);
    $("optout-call").addEventListener("click", callForCode);
    $("cancel-button").addEventListener("click", cancelRing);
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/ring/sw.js", { scope: "/ring" }).catch(() => {
        /* not installable here (no HTTPS): the page works the same */
      });
    }
  });
})();
