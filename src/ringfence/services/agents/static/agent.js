"use strict";
// Try an agent in text: what it would decide and say to what a caller says.
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
    const details = document.getElementById("decision-details");
    out.textContent = resp.ok ? "“" + body.reply + "” (it " + body.does + ")" : body.error.message;
    details.hidden = !resp.ok;
    if (resp.ok) {
      document.getElementById("decision-does").textContent = body.does;
      document.getElementById("decision-matched").textContent = body.matched || "nothing";
      document.getElementById("decision-person").textContent = body.person || "nobody named";
      document.getElementById("decision-confidence").textContent = Math.round(body.score * 100) + " %";
      document.getElementById("decision-by").textContent =
        body.by === "model" ? "the language model" : "the offline dialogue";
    }
    out.dataset.kind = resp.ok ? body.kind : "error";
  });
});

// Talk to the agent: the microphone over WebRTC to the server, which runs the same voice
// pipeline as a phone call; the transcript so far is fetched twice a second.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("talk");
  if (!box) return;
  const $ = (id) => document.getElementById(id);
  const talk = { pc: null, id: null, poll: null };
  window.agentTalk = talk; // for tests: the live peer connection
  const headers = { "Content-Type": "application/json", "X-CSRF-Token": box.dataset.csrf };
  function setState(name, text) { $("talk-state").dataset.state = name; $("talk-state").textContent = text; }


  function show(lines) {
    const list = $("talk-transcript");
    list.replaceChildren(...lines.map((line) => {
      const item = document.createElement("li");
      item.dataset.speaker = line.speaker;
      item.textContent = line.speaker + ": " + line.text;
      return item;
    }));
  }

  async function poll() {
    if (!talk.id) return;
    const resp = await fetch(box.dataset.url + "/" + encodeURIComponent(talk.id));
    if (!resp.ok) return;
    const body = await resp.json();
    show(body.transcript);
    if (body.ended) stop();
  }

  async function start() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (e) { setState("error", "Talking needs your microphone: allow it and try again."); return; }
    const pc = new RTCPeerConnection();
    talk.pc = pc;
    stream.getAudioTracks().forEach((t) => pc.addTrack(t, stream));
    pc.ontrack = (e) => { $("talk-audio").srcObject = e.streams[0] || new MediaStream([e.track]); };
    await pc.setLocalDescription(await pc.createOffer());
    await ringfenceWebrtc.gathered(pc);
    setState("connecting", "Connecting…");
    $("talk-start").disabled = true;
    const resp = await fetch(box.dataset.url, { method: "POST", headers, body: JSON.stringify({ sdp: pc.localDescription.sdp }) });
    const body = await resp.json();
    if (!resp.ok) { setState("error", body.error.message); $("talk-start").disabled = false; pc.close(); return; }
    talk.id = body.id;
    await pc.setRemoteDescription({ type: "answer", sdp: body.sdp });
    setState("talking", "Talking: say something.");
    $("talk-stop").disabled = false;
    talk.poll = setInterval(poll, 500);
  }

  async function stop() {
    clearInterval(talk.poll);
    if (talk.id) {
      const id = talk.id;
      talk.id = null;
      const resp = await fetch(box.dataset.url + "/" + encodeURIComponent(id), { method: "DELETE", headers });
      if (resp.ok) show((await resp.json()).transcript);
    }
    if (talk.pc) { talk.pc.close(); talk.pc = null; }
    setState("ended", "Ended.");
    $("talk-start").disabled = false;
    $("talk-stop").disabled = true;
  }

  $("talk-start").addEventListener("click", start);
  $("talk-stop").addEventListener("click", stop);
});
