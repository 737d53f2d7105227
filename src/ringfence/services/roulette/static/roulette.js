"use strict";
// roulette: Socket.IO signalling (websocket only, so any server process can take the connection),
// WebRTC audio with the ICE servers the server hands out, chat and pictures relayed live.
(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    socket: null, pc: null, stream: null, active: false, pending: [], typingTimer: null, waitTimer: null,
  };
  window.roulette = state; // for tests and the curious: the live peer connection

  function setState(name, text) {
    $("state").dataset.state = name;
    $("state").textContent = text;
  }
  function showError(text) { $("error").textContent = text || ""; }

  // How long this person has waited for a match, counted from the server's "waiting".
  function waitingShown(info) {
    stopWaiting();
    const began = Date.now();
    const anyoneAfter = info && info.interestsWait ? info.interestsWait * 1000 : null;
    const tick = () => {
      const seconds = Math.floor((Date.now() - began) / 1000);
      $("waited-time").textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
      if (anyoneAfter !== null && Date.now() - began >= anyoneAfter) {
        $("waited").dataset.anyone = "1";
        $("shared").hidden = false;
        $("shared").textContent = "Nobody shares your interests yet: anyone will do now.";
      }
    };
    $("waited").hidden = false;
    $("waited").dataset.anyone = "0";
    tick();
    state.waitTimer = setInterval(tick, 1000);
  }
  function stopWaiting() {
    clearInterval(state.waitTimer);
    state.waitTimer = null;
    $("waited").hidden = true;
    $("shared").hidden = true;
  }

  function inCall(on) {
    $("next").disabled = !state.active;
    $("stop").disabled = !state.active;
    $("report").disabled = !on;
    $("mute").disabled = !on;
    $("chat-input").disabled = !on;
    $("send").disabled = !on;
    $("image-input").disabled = !on;
  }

  function addLine(who, node) {
    const item = document.createElement("li");
    item.className = who;
    const label = document.createElement("strong");
    label.textContent = who === "me" ? "You: " : "Stranger: ";
    item.appendChild(label);
    item.appendChild(node);
    $("messages").appendChild(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function closePeer() {
    if ($("report-form")) $("report-form").hidden = true;
    if (state.pc) {
      state.pc.onicecandidate = null;
      state.pc.ontrack = null;
      state.pc.onconnectionstatechange = null;
      state.pc.close();
    }
    state.pc = null;
    state.pending = [];
    $("remote-audio").srcObject = null;
    $("typing").hidden = true;
    inCall(false);
  }

  function connect() {
    if (state.socket) return state.socket;
    const socket = io({ transports: ["websocket"] });
    state.socket = socket;
    socket.on("welcome", (info) => {
      if (info.country && !$("country").value) $("country").value = info.country;
    });
    socket.on("connect_error", (err) => {
      const data = err && err.data;
      if (data && data.banned) return banned(data);
      showError("Cannot reach the server: " + (err && err.message ? err.message : "offline"));
    });
    socket.on("waiting", (info) => {
      setState("waiting", "Looking for someone to talk to…");
      waitingShown(info);
    });
    socket.on("matched", matched);
    socket.on("signal", onSignal);
    socket.on("message", (msg) => addLine("stranger", document.createTextNode(msg.text)));
    socket.on("image", (img) => {
      const picture = document.createElement("img");
      picture.alt = "picture from the stranger";
      picture.src = URL.createObjectURL(new Blob([img.data], { type: img.type }));
      addLine("stranger", picture);
    });
    socket.on("typing", (active) => { $("typing").hidden = !active; });
    socket.on("partner_left", () => {
      closePeer();
      addLine("stranger", document.createTextNode("(left)"));
      if (state.active) { setState("waiting", "The stranger left. Looking for someone new…"); join(); }
    });
    socket.on("banned", banned);
    return socket;
  }

  function banned(info) {
    closePeer();
    stopWaiting();
    state.active = false;
    inCall(false);
    $("start").disabled = true;
    setState("banned", "You were reported" + (info.why ? " for: " + info.why + "," : "") +
      " and cannot use roulette until " + new Date(info.until).toLocaleString() + ".");
    if (info.appeal) {
      const link = document.createElement("a");
      link.href = info.appeal;
      link.id = "appeal-link";
      link.textContent = "Appeal the ban";
      $("state").append(" ", link);
    }
  }

  function join() {
    state.socket.emit("join", {
      adult: $("adult").checked, country: $("country").value, wants: $("wants").value,
      language: $("language").value, interests: $("interests").value,
    }, (answer) => { if (answer && answer.error) { showError(answer.error); stopAll(); } });
  }

  async function start() {
    showError("");
    if (!$("adult").checked) { showError("Confirm that you are 18 or over first."); return; }
    try {
      if (!state.stream) state.stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) {
      showError("roulette needs your microphone: allow it and press Start again.");
      return;
    }
    state.active = true;
    $("start").disabled = true;
    inCall(false);
    setState("waiting", "Looking for someone to talk to…");
    connect();
    join();
  }

  function matched(info) {
    closePeer();
    stopWaiting();
    if (info.shared && info.shared.length) {
      $("shared").hidden = false;
      $("shared").textContent = "You both like: " + info.shared.join(", ") + ".";
    }
    const pc = new RTCPeerConnection({
      iceServers: info.ice.iceServers, iceTransportPolicy: info.ice.iceTransportPolicy,
    });
    state.pc = pc;
    state.stream.getAudioTracks().forEach((t) => pc.addTrack(t, state.stream));
    pc.ontrack = (ev) => { $("remote-audio").srcObject = ev.streams[0]; };
    pc.onicecandidate = (ev) => {
      if (ev.candidate) state.socket.emit("signal", { type: "candidate", candidate: ev.candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => {
      const s = pc.connectionState;
      if (s === "connected") setState("connected", "Connected" + (info.country ? " with someone in " + countryName(info.country) : "") + ". Say hello!");
      else if (s === "failed") setState("failed", "The call could not connect. Press Next to try someone else.");
    };
    setState("matched", "Matched. Connecting…");
    inCall(true);
    if (info.initiator) {
      pc.createOffer()
        .then((offer) => pc.setLocalDescription(offer))
        .then(() => state.socket.emit("signal", { type: "offer", sdp: pc.localDescription.sdp }));
    }
  }

  async function onSignal(msg) {
    const pc = state.pc;
    if (!pc) return;
    if (msg.type === "offer") {
      await pc.setRemoteDescription({ type: "offer", sdp: msg.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      state.socket.emit("signal", { type: "answer", sdp: pc.localDescription.sdp });
      flushCandidates();
    } else if (msg.type === "answer") {
      await pc.setRemoteDescription({ type: "answer", sdp: msg.sdp });
      flushCandidates();
    } else if (msg.type === "candidate") {
      if (pc.remoteDescription) await pc.addIceCandidate(msg.candidate);
      else state.pending.push(msg.candidate);
    }
  }
  function flushCandidates() {
    const queued = state.pending;
    state.pending = [];
    queued.forEach((c) => state.pc.addIceCandidate(c));
  }

  function stopAll() {
    state.active = false;
    closePeer();
    stopWaiting();
    if (state.socket) state.socket.emit("stop");
    $("start").disabled = false;
    setState("idle", "Stopped. Press Start to talk to someone.");
  }

  function next() {
    closePeer();
    setState("waiting", "Looking for someone new…");
    join();
  }

  // A country by its name, as the page's own menu says it ("Türkiye"), never its code.
  function countryName(code) {
    const option = $("wants").querySelector(`option[value="${CSS.escape(code)}"]`);
    return option ? option.textContent : code;
  }

  // Report: first why, then a confirmation; only then is it sent, and the page says it was.
  function report() {
    showError("");
    $("report-form").reset();
    $("report-form").hidden = false;
    $("report").disabled = true;
    $("report-form").querySelector("input[name=reason]").focus();
  }
  function cancelReport() {
    $("report-form").hidden = true;
    $("report").disabled = !state.pc;
  }
  function sendReport(ev) {
    ev.preventDefault();
    const chosen = $("report-form").querySelector("input[name=reason]:checked");
    if (!chosen) { showError("Choose why you report them."); return; }
    $("report-send").disabled = true;
    state.socket.emit("report", { reason: chosen.value }, (answer) => {
      $("report-send").disabled = false;
      if (answer && answer.error) { showError(answer.error); return; }
      $("report-form").hidden = true;
      closePeer();
      state.active = false;
      $("start").disabled = false;
      setState("reported", "Report sent. That person cannot use roulette for " +
        $("report-form").dataset.ban + ". Press Start to talk to someone else.");
    });
  }

  function send(ev) {
    ev.preventDefault();
    const text = $("chat-input").value.trim();
    if (!text) return;
    state.socket.emit("message", text, (answer) => {
      if (answer && answer.error) { showError(answer.error); return; }
      addLine("me", document.createTextNode(text));
      $("chat-input").value = "";
    });
    state.socket.emit("typing", false);
  }

  async function sendImage() {
    const file = $("image-input").files[0];
    if (!file) return;
    const data = await file.arrayBuffer();
    state.socket.emit("image", data, (answer) => {
      $("image-input").value = "";
      if (answer && answer.error) { showError(answer.error); return; }
      const picture = document.createElement("img");
      picture.alt = "your picture";
      picture.src = URL.createObjectURL(file);
      addLine("me", picture);
    });
  }

  function typing() {
    if (!state.socket || !state.pc) return;
    if (!state.typingTimer) state.socket.emit("typing", true);
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(() => { state.socket.emit("typing", false); state.typingTimer = null; }, 2000);
  }

  function mute() {
    const tracks = state.stream ? state.stream.getAudioTracks() : [];
    const muted = $("mute").getAttribute("aria-pressed") !== "true";
    tracks.forEach((t) => { t.enabled = !muted; });
    $("mute").setAttribute("aria-pressed", muted ? "true" : "false");
    $("mute").textContent = muted ? "Unmute" : "Mute";
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("start").addEventListener("click", start);
    $("next").addEventListener("click", next);
    $("stop").addEventListener("click", stopAll);
    $("report").addEventListener("click", report);
    $("report-form").addEventListener("submit", sendReport);
    $("report-cancel").addEventListener("click", cancelReport);
    $("mute").addEventListener("click", mute);
    $("chat-form").addEventListener("submit", send);
    $("chat-input").addEventListener("input", typing);
    $("image-input").addEventListener("change", sendImage);
  });
})();
