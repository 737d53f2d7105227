"""Browser-to-SIP bridged calls: how many one process carries, the CPU each costs, and the
mouth-to-ear latency the bridge adds.

Method: a child process runs what ``ringfence serve`` runs for dial, the telephony engine and one
``telephony.webrtc.Bridge`` per call (no database, no HTTP, so the figures are the bridge's).
This process plays the browsers: aiortc peers with an Opus microphone that is silent except for a
100 ms 1 kHz burst every second, sent over loopback; each offer goes to the child, which places a
SIP call to SIPp (``-rtp_echo``: the far end sends every packet back) and answers with the
bridge's SDP. A peer hears its own burst come back through bridge -> SIPp -> bridge; the time from
handing the burst to the encoder to decoding it again is the round trip. For a baseline, the same
peers call an aiortc peer in the child that echoes the audio straight back (WebRTC both ways, no
SIP); half the difference between the two round trips is the latency the bridge adds each way
(resampling, the call's 20 ms media clock and jitter buffer). CPU: the child's user+system time
over the hold, per call. The peers' own Opus work runs here, on the same two cores, so the load
figures are conservative.

Run: ``.venv/bin/python bench/bridge.py [--levels 5,10,20,40 --seconds 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import math
import multiprocessing as mp
import resource
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from multiprocessing.connection import Connection
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay

RATE = 48000
SAMPLES = 960  # 20 ms
BURST_EVERY = 50  # frames (1 s)
BURST_FRAMES = 5  # 100 ms
THRESHOLD = 2000.0  # RMS of a heard burst (silence decodes near 0)


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the child: engine + bridges -----------------------------------------------------------------


def serve(conn: Connection, sipp_port: int, rtp: tuple[int, int]) -> None:
    asyncio.run(_serve(conn, sipp_port, rtp))


async def _serve(conn: Connection, sipp_port: int, rtp: tuple[int, int]) -> None:
    from ringfence.logging import configure_logging
    from ringfence.settings import Settings
    from ringfence.telephony import TelephonyEngine
    from ringfence.telephony.webrtc import Bridge

    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            data_dir=data,
            log={"level": "WARNING"},
            telephony={
                "enabled": True,
                "sip_port": 0,
                "rtp_port_min": rtp[0],
                "rtp_port_max": rtp[1],
                "session_expires": None,
                "carriers": [{"name": "sipp", "host": "127.0.0.1", "port": sipp_port}],
            },
        )
        configure_logging(settings.log)
        engine = TelephonyEngine(settings)
        await engine.start()
        bridges: list[Bridge] = []
        echoes: list[RTCPeerConnection] = []
        relay = MediaRelay()
        while True:
            kind, payload = await asyncio.to_thread(conn.recv)
            if kind == "call":
                call = await engine.place_call("+442079460958", max_duration=3600)
                bridge = Bridge(call)
                bridges.append(bridge)
                conn.send(await bridge.answer(payload))
            elif kind == "echo":
                pc = RTCPeerConnection()
                echoes.append(pc)

                @pc.on("track")
                def on_track(track: MediaStreamTrack, pc: RTCPeerConnection = pc) -> None:
                    pc.addTrack(relay.subscribe(track))

                await pc.setRemoteDescription(RTCSessionDescription(payload, "offer"))
                await pc.setLocalDescription(await pc.createAnswer())
                conn.send(pc.localDescription.sdp)
            elif kind == "cpu":
                usage = resource.getrusage(resource.RUSAGE_SELF)
                conn.send(usage.ru_utime + usage.ru_stime)
            elif kind == "clear":
                for bridge in bridges:
                    await bridge.call.hangup()
                    await bridge.close()
                for pc in echoes:
                    await pc.close()
                bridges.clear()
                echoes.clear()
                await engine.idle()
                conn.send("cleared")
            elif kind == "stop":
                await engine.stop()
                conn.send("stopped")
                return


# -- this process: the browsers ------------------------------------------------------------------


class Probe(MediaStreamTrack):
    """A microphone: silence, and a 1 kHz burst every second whose send times are kept."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.index = 0
        self.start = 0.0
        self.sent: list[float] = []
        self.offset = np.random.randint(0, BURST_EVERY)  # calls do not burst in step

    async def recv(self) -> av.AudioFrame:
        if not self.start:
            self.start = time.monotonic()
        due = self.start + self.index * SAMPLES / RATE
        if due > time.monotonic():
            await asyncio.sleep(due - time.monotonic())  # a real microphone's pace
        position = (self.index + self.offset) % BURST_EVERY
        if position < BURST_FRAMES:
            if position == 0:
                self.sent.append(time.monotonic())
            t = np.arange(SAMPLES) / RATE
            pcm = (12000 * np.sin(2 * math.pi * 1000 * t)).astype("<i2")
        else:
            pcm = np.zeros(SAMPLES, dtype="<i2")
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = RATE, self.index * SAMPLES
        frame.time_base = fractions.Fraction(1, RATE)
        self.index += 1
        return frame


class Browser:
    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.probe = Probe()
        self.pc.addTrack(self.probe)
        self.latencies: list[float] = []
        self.frames = 0
        self.listener: asyncio.Task[None] | None = None
        self.pc.on("track", self._on_track)

    def _on_track(self, track: MediaStreamTrack) -> None:
        self.listener = asyncio.ensure_future(self._listen(track))

    async def _listen(self, track: MediaStreamTrack) -> None:
        loud = False
        while True:
            try:
                frame = await track.recv()
            except Exception:
                return
            self.frames += 1
            level = float(np.sqrt(np.mean(frame.to_ndarray().astype(np.float64) ** 2)))
            now = time.monotonic()
            if level > THRESHOLD and not loud and self.probe.sent:
                sent = self.probe.sent[-1]
                if now - sent < 0.9:
                    self.latencies.append(now - sent)
            loud = level > THRESHOLD

    async def connect(self, conn: Connection, kind: str, lock: asyncio.Lock) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        async with lock:  # one request at a time on the pipe
            conn.send((kind, self.pc.localDescription.sdp))
            answer = await asyncio.to_thread(conn.recv)
        await self.pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))

    async def close(self) -> None:
        await self.pc.close()
        if self.listener is not None:
            self.listener.cancel()


async def _ask(conn: Connection, lock: asyncio.Lock, message: tuple[str, Any]) -> Any:
    async with lock:
        conn.send(message)
        return await asyncio.to_thread(conn.recv)


def _p95(values: list[float]) -> float:
    return values[int(0.95 * (len(values) - 1))] * 1000 if values else float("nan")


async def level(conn: Connection, kind: str, calls: int, seconds: float) -> dict[str, float]:
    lock = asyncio.Lock()
    browsers = [Browser() for _ in range(calls)]
    for browser in browsers:
        await browser.connect(conn, kind, lock)
    await asyncio.sleep(2.0)  # let ICE and the calls settle before measuring
    for browser in browsers:
        browser.latencies.clear()
    cpu_before = await _ask(conn, lock, ("cpu", None))
    started = time.monotonic()
    await asyncio.sleep(seconds)  # the hold is the measurement
    elapsed = time.monotonic() - started
    cpu_after = await _ask(conn, lock, ("cpu", None))
    latencies = sorted(x for b in browsers for x in b.latencies)
    heard = sum(1 for b in browsers if b.latencies)
    for browser in browsers:
        await browser.close()
    await _ask(conn, lock, ("clear", None))
    return {
        "calls": calls,
        "heard": heard,
        "rtt_p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "rtt_p95_ms": _p95(latencies),
        "cpu_pct_per_call": 100 * (cpu_after - cpu_before) / elapsed / calls,
        "cpu_pct_total": 100 * (cpu_after - cpu_before) / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="5,10,20,40")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    sipp = shutil.which("sipp") or "/usr/bin/sipp"
    sipp_port, media = free_port(), free_port()
    carrier = subprocess.Popen(
        [
            sipp,
            "-sn",
            "uas",
            "-rtp_echo",
            "-i",
            "127.0.0.1",
            "-p",
            str(sipp_port),
            "-mp",
            str(media),
            "-nostdin",
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(target=serve, args=(child, sipp_port, (32000, 34000)))
    server.start()
    try:

        async def run() -> None:
            base = await level(parent, "echo", 5, args.seconds)
            print(
                f"baseline (aiortc echo peer, no SIP), 5 calls: round trip p50 "
                f"{base['rtt_p50_ms']:.0f} ms, p95 {base['rtt_p95_ms']:.0f} ms"
            )
            for calls in levels:
                got = await level(parent, "call", calls, args.seconds)
                added = (got["rtt_p50_ms"] - base["rtt_p50_ms"]) / 2
                print(
                    f"{calls:3d} bridged calls: {got['heard']:.0f} heard their echo, round trip "
                    f"p50 {got['rtt_p50_ms']:.0f} ms, p95 {got['rtt_p95_ms']:.0f} ms "
                    f"(bridge adds ~{added:.0f} ms each way); bridge process CPU "
                    f"{got['cpu_pct_total']:.0f} % of a core, "
                    f"{got['cpu_pct_per_call']:.1f} % per call"
                )
            parent.send(("stop", None))
            parent.recv()

        asyncio.run(run())
    finally:
        server.join(timeout=10)
        if server.is_alive():
            server.kill()
        carrier.kill()
        carrier.wait(timeout=10)


if __name__ == "__main__":
    main()
