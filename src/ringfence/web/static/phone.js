"use strict";
// The test phone: this tab holds a line (a websocket) under a number reserved for drama. A call to
// it rings here; answering sends a WebRTC offer and the server bridges it to the SIP call. The tab
// can also call this server's own numbers (an agent's). Audio quality from getStats.
(function () {
  const $ = (id) => document.getElementById(id);
  if (!$("number")) return; // the test phone is off on this server
  const state = { ws: null, call: null, pc: null, stream: null, incoming: null, answeredAt: 0, timer: null, stats: null };
  window.testPhone = state; // for tests: the live peer connection

  function setState(name, text) { $("state").dataset.state = name; $("state").textContent = text; }
  function showError(text) { $("error").textContent = text || ""; }
  function send(message) { if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message)); }
  function inCall(on) {
    $("hangup").disabled = !on;
    $("call").disabled = on;
    document.querySelectorAll("#pad button").forEach((b) => { b.disabled = !on; });
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/api/phone/line");
    state.ws = ws;
    ws.onmessage = (msg) => receive(JSON.parse(msg.data));
    ws.onclose = () => {
      if (state.ws !== ws) return;
      state.ws = null;
      hangUpLocally();
      $("call").disabled = true;
      if ($("state").dataset.state !== "replaced") setState("offline", "Not connected: reload the page to get your line back.");
    };
  }

  function receive(m) {
    if (m.type === "line") {
      $("number").textContent = m.display;
      $("number").dataset.number = m.number;
      setState("idle", "Ready: calls to this number ring here.");
      $("call").disabled = false;
    } else if (m.type === "incoming") {
      if (state.call) { send({ type: "hangup", call: m.call }); return; }
      state.incoming = m.call;
      $("caller").textContent = m.from;
      $("incoming").hidden = false;
      document.title = "Ringing · test phone";
      setState("ringing", "Ringing: a call from " + m.from + ".");
    } else if (m.type === "sdp") {
      state.call = m.call;
      if (state.pc) state.pc.setRemoteDescription({ type: "answer", sdp: m.sdp });
    } else if (m.type === "state") {
      stateOf(m);
    } else if (m.type === "replaced") {
      setState("replaced", "This phone was opened in another tab of this browser: use that one.");
      const ws = state.ws;
      state.ws = null;
      hangUpLocally();
      if (ws) ws.close();
    } else if (m.type === "error") {
      showError(m.message);
      if (!state.call && !state.incoming && state.pc) { hangUpLocally(); setState("idle", "Ready."); }
    }
  }

  function stateOf(m) {
    if (m.call !== state.call && m.call !== state.incoming) return;
    if (m.state === "ringing" && m.call === state.call) setState("ringing-out", "Ringing…");
    if (m.state === "dtmf") { $("keys").textContent += m.digit; $("keys-heard").hidden = false; }
    if (m.state === "hold") setState("held", "On hold: the other side put this call on hold.");
    if (m.state === "resumed") setState("answered", "Connected.");
    if (m.state === "answered") {
      $("keys").textContent = "";
      $("keys-heard").hidden = true;
      setState("answered", "Connected.");
      state.answeredAt = Date.now();
      state.timer = setInterval(tick, 250);
      state.stats = setInterval(quality, 1000);
      inCall(true);
    }
    if (m.state === "ended") {
      const was = $("state").dataset.state;
      hangUpLocally();
      setState("ended", was === "ringing" ? "Missed call." : "Call ended (" + (m.reason || "completed") + ").");
    }
  }

  function tick() {
    const seconds = Math.floor((Date.now() - state.answeredAt) / 1000);
    $("timer").textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  async function quality() {
    if (!state.pc) return;
    const q = await ringfenceWebrtc.inboundAudio(state.pc);
    if (!q) return;
    $("quality").textContent = ringfenceWebrtc.describe(q);
    $("quality").dataset.bytes = q.bytes;
    $("quality").dataset.energy = q.energy.toFixed(6);
  }


  async function offer() {
    state.stream = state.stream || await navigator.mediaDevices.getUserMedia({ audio: true });
    const pc = new RTCPeerConnection();
    state.pc = pc;
    state.stream.getAudioTracks().forEach((t) => pc.addTrack(t, state.stream));
    pc.ontrack = (e) => { $("remote-audio").srcObject = e.streams[0] || new MediaStream([e.track]); };
    await pc.setLocalDescription(await pc.createOffer());
    await ringfenceWebrtc.gathered(pc);
    return pc.localDescription.sdp;
  }

  function hangUpLocally() {
    clearInterval(state.timer);
    clearInterval(state.stats);
    if (state.pc) { state.pc.close(); state.pc = null; }
    state.call = null;
    state.incoming = null;
    state.answeredAt = 0;
    $("incoming").hidden = true;
    document.title = "Test phone · ringfence";
    inCall(false);
    if (!state.ws) $("call").disabled = true;
  }

  $("answer").addEventListener("click", async () => {
    showError("");
    const call = state.incoming;
    $("incoming").hidden = true;
    let sdp;
    try { sdp = await offer(); } catch (e) {
      showError("Answering needs your microphone: allow it and try again.");
      send({ type: "hangup", call });
      return;
    }
    setState("answering", "Answering…");
    send({ type: "answer", call, sdp });
  });

  $("decline").addEventListener("click", () => { send({ type: "hangup", call: state.incoming }); });

  $("dial").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    showError("");
    const number = $("to").value.trim();
    if (!number) { showError("Type a number first."); return; }
    $("call").disabled = true;
    let sdp;
    try { sdp = await offer(); } catch (e) {
      showError("Calling needs your microphone: allow it and try again.");
      $("call").disabled = false;
      return;
    }
    setState("dialling", "Dialling…");
    $("hangup").disabled = false;
    send({ type: "dial", number, sdp });
  });

  $("hangup").addEventListener("click", () => {
    if (state.call) send({ type: "hangup", call: state.call });
    else { hangUpLocally(); setState("idle", "Ready."); }
  });

  document.querySelectorAll("#pad button").forEach((b) => b.addEventListener("click", () => {
    if (state.call) send({ type: "dtmf", call: state.call, digit: b.dataset.digit });
  }));

  connect();
})();
