// What every page holding a WebRTC call shares (the test phone, dial, an agent's Talk): waiting
// for ICE gathering before the offer goes out, and the received audio's quality from getStats().
// Loaded (deferred) before the page's own script.
window.ringfenceWebrtc = {
  gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((done) => {
      pc.addEventListener("icegatheringstatechange", () => { if (pc.iceGatheringState === "complete") done(); });
    });
  },

  // The inbound audio stream's loss (%), jitter (ms), bytes and energy so far; null before any.
  async inboundAudio(pc) {
    const stats = await pc.getStats();
    let found = null;
    stats.forEach((r) => {
      if (r.type !== "inbound-rtp" || r.kind !== "audio") return;
      const lost = r.packetsLost || 0;
      const total = (r.packetsReceived || 0) + lost;
      found = {
        lossPercent: total ? (100 * lost) / total : 0,
        jitterMs: Math.round((r.jitter || 0) * 1000),
        bytes: r.bytesReceived || 0,
        energy: r.totalAudioEnergy || 0,
      };
    });
    return found;
  },

  describe(q) { return "loss " + q.lossPercent.toFixed(1) + " % · jitter " + q.jitterMs + " ms"; },
};
