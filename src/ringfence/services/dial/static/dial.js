"use strict";
// dial: price a number, call it over WebRTC (the server bridges to the phone network), dial pad
// for key presses (sent as RFC 4733 events and shown), mute, hold, hang up, a timer with the cost
// ticking, quality from getStats (reported to the server, which rates the call when it ends); the
// address book (add, edit, remove, find, call) and the history (search, call again).
(function () {
  const $ = (id) => document.getElementById(id);
  const state = { pc: null, stream: null, callId: null, quote: null, answeredAt: 0, timer: null, stats: null, reported: "" };
  const REPORT_EVERY = 2; // seconds between the figures sent to the server
  window.dial = state; // for tests: the live peer connection

  const wallet = () => $("wallet").dataset;
  const money = (minor) => (minor / 100).toFixed(2);
  const words = () => JSON.parse(wallet().words || "{}");
  const said = (kind, value) => (words()[kind] || {})[value] || String(value).replaceAll("_", " ");
  function minutes(seconds) {
    const s = Math.round(seconds);
    return s < 60 ? s + " s" : Math.floor(s / 60) + " min" + (s % 60 ? " " + (s % 60) + " s" : "");
  }
  function billing(increment) {
    const [first, step] = increment.split("/").map(Number);
    if (first === 1 && step === 1) return "billed by the second";
    if (first === 60 && step === 60) return "billed by the started minute";
    return "billed " + first + " s first, then every " + step + " s";
  }
  function setState(name, text) { $("state").dataset.state = name; $("state").textContent = text; }
  function showError(text) { $("error").textContent = text || ""; }

  async function api(url, body, method) {
    const resp = await fetch(url, {
      method: method || "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": wallet().csrf },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await resp.json(); } catch (e) { /* empty */ }
    if (!resp.ok) {
      const err = new Error((data.error && data.error.message) || resp.statusText);
      err.status = resp.status;
      throw err;
    }
    return data;
  }

  let quoteTimer = null;
  function scheduleQuote() {
    clearTimeout(quoteTimer);
    quoteTimer = setTimeout(quote, 250);
  }
  async function quote() {
    const number = $("number").value.trim();
    if (!number) { $("quote").textContent = ""; return; }
    try {
      const q = await api("/api/dial/quote", { number, country: $("country").value });
      $("quote").textContent = q.international + " (" + q.kind + ", " + q.destination + "): " + money(q.price_per_minute) +
        " " + q.currency + "/min, " + billing(q.increment) + (q.connection_fee ? ", + " + money(q.connection_fee) + " " + q.currency + " to connect" : "") +
        ". Your credit pays for " + minutes(q.max_seconds) + ".";
      $("quote").classList.remove("bad");
      $("quote").dataset.reachable = "true";
    } catch (e) {
      // 403: a number that is valid but refused here (no rate, a blocked country, premium rate).
      const refused = e.status === 403;
      $("quote").textContent = refused ? "Not reachable from here: " + e.message + "." : e.message;
      $("quote").classList.add("bad");
      $("quote").dataset.reachable = refused ? "false" : "";
    }
  }

  function tick() {
    if (!state.answeredAt || !state.quote) return;
    const seconds = Math.floor((Date.now() - state.answeredAt) / 1000);
    $("timer").textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    const q = state.quote;
    const [first, step] = q.increment.split("/").map(Number);
    const billed = seconds <= first ? first : first + Math.ceil((seconds - first) / step) * step;
    const cost = q.connection_fee + Math.ceil(q.price_per_minute * billed / 60);
    $("cost").textContent = money(cost);
    $("balance").textContent = money(Number(wallet().balance) - cost);
  }

  // The round trip (ms) to the server: from its RTCP reports on our stream, else from the
  // ICE consent checks of the pair in use; null before either measured one.
  async function roundTrip(pc) {
    const stats = await pc.getStats();
    let rtcp = null, ice = null;
    stats.forEach((r) => {
      if (r.type === "remote-inbound-rtp" && r.kind === "audio" && r.roundTripTime !== undefined) rtcp = r.roundTripTime;
      if (r.type === "candidate-pair" && r.nominated && r.state === "succeeded" && r.currentRoundTripTime !== undefined) ice = r.currentRoundTripTime;
    });
    const seconds = rtcp !== null ? rtcp : ice;
    return seconds === null ? null : Math.round(seconds * 1000);
  }

  let samples = 0;
  async function quality() {
    if (!state.pc) return;
    const q = await ringfenceWebrtc.inboundAudio(state.pc);
    if (!q) return;
    $("quality").textContent = ringfenceWebrtc.describe(q);
    $("quality").dataset.bytes = q.bytes;
    $("quality").dataset.energy = q.energy.toFixed(6);
    if (++samples % REPORT_EVERY === 0) await report(q);
  }

  // The browser's figures to the server, kept with the call (the last ones before it ends).
  async function report(q) {
    if (!state.pc || !state.callId) return;
    q = q || await ringfenceWebrtc.inboundAudio(state.pc);
    if (!q) return;
    const figures = { jitter_ms: q.jitterMs, loss_pct: Number(q.lossPercent.toFixed(2)), rtt_ms: await roundTrip(state.pc) };
    const key = JSON.stringify(figures);
    if (key === state.reported) return;
    state.reported = key;
    try { await api("/api/dial/calls/" + encodeURIComponent(state.callId) + "/quality", figures); } catch (e) { /* the call ended meanwhile */ }
  }

  function figures(leg) {
    const parts = [];
    if (leg.jitter_ms !== null) parts.push("jitter " + Math.round(leg.jitter_ms) + " ms");
    if (leg.loss_pct !== null) parts.push(leg.loss_pct.toFixed(1) + " % lost");
    if (leg.rtt_ms !== null) parts.push(Math.round(leg.rtt_ms) + " ms round trip");
    return parts.length ? parts.join(", ") : "not measured";
  }

  function showQuality(q) {
    const box = $("call-quality");
    if (!q) { box.hidden = true; return; }
    const rating = { good: "Good", fair: "Fair", poor: "Poor" }[q.rating] || q.rating;
    box.dataset.rating = q.rating;
    box.textContent = "Call quality: " + rating + ". Your connection: " + figures(q.browser) + ". Phone network: " + figures(q.phone) + ".";
    box.hidden = false;
  }


  async function call(ev) {
    ev.preventDefault();
    showError("");
    showQuality(null);
    const number = $("number").value.trim();
    if (!number) { showError("Type a number first."); return; }
    try {
      state.stream = state.stream || await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) { showError("Calling needs your microphone: allow it and try again."); return; }
    const pc = new RTCPeerConnection();
    state.pc = pc;
    state.stream.getAudioTracks().forEach((t) => pc.addTrack(t, state.stream));
    pc.ontrack = (e) => { $("remote-audio").srcObject = e.streams[0] || new MediaStream([e.track]); };
    await pc.setLocalDescription(await pc.createOffer());
    await ringfenceWebrtc.gathered(pc);
    setState("dialling", "Dialling…");
    $("call").disabled = true;
    let placed;
    try {
      placed = await api("/api/dial/calls", {
        number, country: $("country").value, sdp: pc.localDescription.sdp,
        caller_id: $("caller-id").value || null,
      });
    } catch (e) {
      showError(e.message); setState("idle", "Ready."); $("call").disabled = false; pc.close(); state.pc = null; return;
    }
    state.callId = placed.id;
    state.quote = placed.quote;
    state.reported = "";
    samples = 0;
    $("digits").textContent = "";
    $("pressed").hidden = true;
    await pc.setRemoteDescription({ type: "answer", sdp: placed.sdp });
    $("hangup").disabled = false;
    $("mute").disabled = false;
    const source = new EventSource("/api/dial/calls/" + encodeURIComponent(placed.id) + "/events");
    source.onmessage = (msg) => {
      const step = JSON.parse(msg.data);
      if (step.state === "ringing") setState("ringing", "Ringing…");
      if (step.state === "answered") {
        setState("answered", "Connected.");
        state.answeredAt = Date.now();
        state.timer = setInterval(tick, 250);
        state.stats = setInterval(quality, 1000);
        $("hold").disabled = false;
      }
      if (step.state === "hold") setState("held", step.by === "remote" ? "The other side put you on hold." : "On hold: they hear silence.");
      if (step.state === "resumed") setState("answered", "Connected.");
      if (step.state === "ended") {
        source.close();
        ended(step);
      }
    };
  }

  function ended(step) {
    clearInterval(state.timer);
    clearInterval(state.stats);
    if (state.pc) { state.pc.close(); state.pc = null; }
    state.answeredAt = 0;
    $("cost").textContent = money(step.cost || 0);
    $("state").dataset.cost = step.cost || 0;
    wallet().balance = String(Number(wallet().balance) - (step.cost || 0));
    $("balance").textContent = money(Number(wallet().balance));
    setState("ended", "Call ended: " + said("status", step.outcome) + ", " + minutes(step.seconds || 0) + ", " + money(step.cost || 0) + " " + wallet().currency + ".");
    $("call").disabled = false;
    $("hangup").disabled = true;
    $("mute").disabled = true;
    $("hold").disabled = true;
    setPressed("hold", false, "Hold", "Resume");
    setPressed("mute", false, "Mute", "Unmute"); // the next call starts with the microphone on
    (state.stream ? state.stream.getAudioTracks() : []).forEach((t) => { t.enabled = true; });
    state.callId = null;
    showQuality(step.quality);
    refreshHistory();
  }

  async function refreshHistory() {
    const search = new URLSearchParams(location.search);
    const params = new URLSearchParams({ format: "json" });
    ["q", "from", "to"].forEach((k) => { if (search.get(k)) params.set(k, search.get(k)); });
    const resp = await fetch("/api/dial/history?" + params);
    if (!resp.ok) return;
    const body = await resp.json();
    const rows = body.calls.map((c) => {
      const tr = document.createElement("tr");
      tr.dataset.status = c.status;
      const when = document.createElement("time");
      when.dateTime = c.started_at;
      when.textContent = c.when;
      const again = document.createElement("button");
      again.type = "button";
      again.className = "redial";
      again.dataset.number = c.number;
      again.textContent = "Call again";
      [when, c.contact, c.number, said("status", c.status), c.length, money(c.cost) + " " + c.currency, again].forEach((v, i) => {
        const td = document.createElement("td");
        if (i === 2) td.className = "number";
        if (typeof v === "string") td.textContent = v; else td.appendChild(v);
        tr.appendChild(td);
      });
      return tr;
    });
    $("history").querySelector("tbody").replaceChildren(...rows);
    $("history-none").hidden = rows.length > 0;
  }

  // Call a number now: a contact's, or one from the history (E.164, so the country is moot).
  function callNumber(number) {
    if (state.callId && state.answeredAt) { showError("Hang up first."); return; }
    $("number").value = number;
    quote();
    $("dial").requestSubmit();
  }

  // -- the address book ------------------------------------------------------------------------
  function contactRow(c) {
    const tr = document.createElement("tr");
    tr.dataset.id = c.id;
    tr.dataset.number = c.number;
    [c.name, c.international, c.note].forEach((v, i) => {
      const td = document.createElement("td");
      td.textContent = v;
      if (i === 0) td.className = "contact-name";
      if (i === 1) td.className = "number";
      tr.appendChild(td);
    });
    const actions = document.createElement("td");
    [["call", "Call"], ["edit", "Edit"], ["delete", "Delete"]].forEach(([act, label]) => {
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.act = act;
      b.textContent = label;
      if (act === "delete") b.className = "danger";
      actions.append(b, " ");
    });
    tr.appendChild(actions);
    return tr;
  }
  async function refreshContacts() {
    const q = $("contact-search").value.trim();
    const resp = await fetch("/api/dial/contacts?" + new URLSearchParams({ q }));
    if (!resp.ok) return;
    const found = (await resp.json()).contacts;
    $("contact-list").querySelector("tbody").replaceChildren(...found.map(contactRow));
    $("contacts-none").hidden = found.length > 0;
    $("contacts-none").textContent = q ? "No contact matches this search." : "No contacts yet: add the people you call, and their names show in your calls.";
  }
  let contactTimer = null;
  function scheduleContacts() {
    clearTimeout(contactTimer);
    contactTimer = setTimeout(refreshContacts, 200);
  }
  function editing(c) {
    $("contact-id").value = c ? c.id : "";
    $("contact-name").value = c ? c.name : "";
    $("contact-number").value = c ? c.international : "";
    $("contact-note").value = c ? c.note : "";
    $("contact-save").textContent = c ? "Save changes" : "Add contact";
    $("contact-cancel").hidden = !c;
    $("contact-error").textContent = "";
    if (c) $("contact-name").focus();
  }
  async function saveContact(ev) {
    ev.preventDefault();
    const id = $("contact-id").value;
    const body = {
      name: $("contact-name").value, number: $("contact-number").value,
      note: $("contact-note").value, country: $("country").value,
    };
    try {
      if (id) await api("/api/dial/contacts/" + encodeURIComponent(id), body, "PUT");
      else await api("/api/dial/contacts", body);
    } catch (e) {
      $("contact-error").textContent = e.message; // what was typed stays to be corrected
      return;
    }
    editing(null);
    await refreshContacts();
    refreshHistory(); // a new name may now stand next to past calls
  }
  async function importContacts(ev) {
    ev.preventDefault();
    $("contact-error").textContent = "";
    $("contact-imported").textContent = "";
    const file = $("contact-file").files[0];
    if (!file) { $("contact-error").textContent = "Choose a vCard or CSV file first."; return; }
    const csv = /\.csv$/i.test(file.name);
    const resp = await fetch("/api/dial/contacts/import?" + new URLSearchParams({ country: $("country").value }), {
      method: "POST",
      headers: { "Content-Type": csv ? "text/csv" : "text/vcard", "X-CSRF-Token": wallet().csrf },
      body: await file.text(),
    });
    let data = {};
    try { data = await resp.json(); } catch (e) { /* empty */ }
    if (!resp.ok) { $("contact-error").textContent = (data.error && data.error.message) || resp.statusText; return; }
    $("contact-imported").textContent = data.added + (data.added === 1 ? " contact added." : " contacts added.");
    $("contact-file").value = "";
    await refreshContacts();
    refreshHistory();
  }
  async function contactAction(ev) {
    const button = ev.target.closest("button[data-act]");
    if (!button) return;
    const row = button.closest("tr");
    const name = row.querySelector(".contact-name").textContent;
    if (button.dataset.act === "call") { callNumber(row.dataset.number); return; }
    if (button.dataset.act === "edit") {
      editing({ id: row.dataset.id, name, international: row.children[1].textContent, note: row.children[2].textContent });
      return;
    }
    if (!confirm("Remove " + name + " from your contacts?")) return;
    try {
      await api("/api/dial/contacts/" + encodeURIComponent(row.dataset.id), null, "DELETE");
    } catch (e) { $("contact-error").textContent = e.message; return; }
    if ($("contact-id").value === row.dataset.id) editing(null);
    await refreshContacts();
    refreshHistory();
  }

  async function hangUp() {
    if (!state.callId) return;
    await report(null); // the last figures, before the call ends
    try { await api("/api/dial/calls/" + encodeURIComponent(state.callId) + "/hangup"); } catch (e) { showError(e.message); }
  }

  function setPressed(id, on, off, onText) {
    $(id).setAttribute("aria-pressed", on ? "true" : "false");
    $(id).textContent = on ? onText : off;
  }

  async function hold() {
    if (!state.callId) return;
    const on = $("hold").getAttribute("aria-pressed") !== "true";
    $("hold").disabled = true;
    try {
      await api("/api/dial/calls/" + encodeURIComponent(state.callId) + "/hold", { on });
      setPressed("hold", on, "Hold", "Resume");
    } catch (e) { showError(e.message); }
    $("hold").disabled = !state.callId;
  }

  // Keys go one after the other: pressed quickly, parallel requests could reach the server (and
  // so the phone) in another order.
  let keys = Promise.resolve();
  function press(digit) {
    if (state.callId && state.answeredAt) {
      const url = "/api/dial/calls/" + encodeURIComponent(state.callId) + "/dtmf";
      keys = keys.then(() => api(url, { digit }))
        .then(() => { $("digits").textContent += digit; $("pressed").hidden = false; })
        .catch((e) => showError(e.message));
    } else {
      $("number").value += digit;
      scheduleQuote();
    }
  }

  function mute() {
    const muted = $("mute").getAttribute("aria-pressed") !== "true";
    (state.stream ? state.stream.getAudioTracks() : []).forEach((t) => { t.enabled = !muted; });
    setPressed("mute", muted, "Mute", "Unmute");
  }

  let ownToken = "";
  async function ownCode(ev) {
    ev.preventDefault();
    showError("");
    try {
      const made = await api("/api/dial/caller-ids", { number: $("own-number").value, country: $("country").value });
      ownToken = made.token;
      $("own-code-digits").textContent = made.code;
      $("own-code-number").textContent = made.number;
      $("own-code").hidden = false;
      $("own-state").textContent = "";
    } catch (e) { showError(e.message); }
  }
  async function ownCall() {
    try {
      const placed = await api("/api/dial/caller-ids/call", { token: ownToken });
      const source = new EventSource("/api/dial/calls/" + encodeURIComponent(placed.id) + "/events");
      source.onmessage = (msg) => {
        const step = JSON.parse(msg.data);
        $("own-state").dataset.state = step.state;
        if (step.state !== "ended") { $("own-state").textContent = said("verifying", step.state); return; }
        source.close();
        $("own-state").dataset.outcome = step.outcome;
        if (step.outcome === "verified") {
          $("own-state").textContent = "Verified: calls can now show " + $("own-code-number").textContent + ".";
          refreshCallerIds();
        } else {
          $("own-state").textContent = "Not verified: the code was not typed. Get a new code to try again.";
        }
        $("own-code").hidden = true;
      };
    } catch (e) { showError(e.message); }
  }

  // The price a minute to the chosen country, before a number is typed (when the operator's
  // rate table prices it); the number's own price shows as it is typed.
  function countryPrice() {
    const option = $("country").selectedOptions[0];
    const name = option.textContent.replace(/ \(\+\d+\)$/, "");
    const priced = document.querySelector("#country option[data-price]");
    if (option.dataset.price) {
      $("country-price").textContent = "Calls to " + name + " from " + money(Number(option.dataset.price)) + " " +
        wallet().currency + " a minute; the number's own price shows as you type it.";
    } else {
      $("country-price").textContent = priced ? "Calls to " + name + " are not offered." : "";
    }
  }

  async function refreshCallerIds() {
    const resp = await fetch("/api/dial/caller-ids");
    if (!resp.ok) return;
    const known = (await resp.json()).caller_ids;
    const select = $("caller-id");
    const chosen = select.value;
    select.replaceChildren(new Option("this service's number", ""),
      ...known.map((c) => new Option(c.number, c.id, false, c.id === chosen)));
    if (known.length) select.value = known[known.length - 1].id;
    $("verified-list").replaceChildren(...known.flatMap((c, i) => {
      const span = document.createElement("span");
      span.className = "number";
      span.textContent = c.number;
      return i ? [document.createTextNode(", "), span] : [span];
    }));
    $("caller-id-hint").textContent = "Your verified numbers can be shown.";
  }

  document.addEventListener("DOMContentLoaded", () => {
    countryPrice();
    $("country").addEventListener("change", countryPrice);
    $("own").addEventListener("submit", ownCode);
    $("own-call").addEventListener("click", ownCall);
    $("dial").addEventListener("submit", call);
    $("hangup").addEventListener("click", hangUp);
    $("mute").addEventListener("click", mute);
    $("hold").addEventListener("click", hold);
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/dial/sw.js", { scope: "/dial" }).catch(() => { /* the page works without it */ });
    }
    $("number").addEventListener("input", scheduleQuote);
    $("country").addEventListener("change", quote);
    document.querySelectorAll("#pad button").forEach((b) => b.addEventListener("click", () => press(b.dataset.digit)));
    $("contact-form").addEventListener("submit", saveContact);
    $("contact-cancel").addEventListener("click", () => editing(null));
    $("contact-import").addEventListener("submit", importContacts);
    $("contact-search").addEventListener("input", scheduleContacts);
    $("contact-list").addEventListener("click", contactAction);
    $("history").addEventListener("click", (ev) => {
      const button = ev.target.closest("button.redial");
      if (button) callNumber(button.dataset.number);
    });
  });
})();
