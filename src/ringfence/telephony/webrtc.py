"""A browser on a phone call: WebRTC (aiortc) on one side, a SIP ``Call`` on the other.

The browser's microphone arrives as Opus, decoded by aiortc to 48 kHz frames; they are resampled
to the call's 8 kHz mono 20 ms frames and played into the call. The far end's frames go back as
a track that aiortc encodes (resampling up again). Nothing of the audio is kept: frames pass
through memory and are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from ringfence.errors import InvalidInput
from ringfence.logging import get_logger
from ringfence.media.frames import FRAME_BYTES, FRAME_SAMPLES, SAMPLE_RATE
from ringfence.telephony.calls import Call

log = get_logger(__name__)
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)
MAX_SDP = 20_000
MAX_QUEUED_FRAMES = 3  # 60 ms of the browser's audio waiting for the call's media clock


class CallAudioTrack(MediaStreamTrack):
    """The far end of the call, as an audio track for the browser: one 20 ms frame per frame
    the call receives (silence while nothing arrives, so the stream keeps its pace)."""

    kind = "audio"

    def __init__(self, call: Call) -> None:
        super().__init__()
        self._frames: asyncio.Queue[bytes] = asyncio.Queue(maxsize=50)
        self._pts = 0
        self._reader = asyncio.create_task(self._read(call))

    async def _read(self, call: Call) -> None:
        async for frame in call.audio():
            if self._frames.full():
                self._frames.get_nowait()  # a slow browser: drop the oldest, keep it live
            self._frames.put_nowait(frame)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        try:
            pcm = await asyncio.wait_for(self._frames.get(), 0.02)
        except TimeoutError:
            pcm = bytes(FRAME_BYTES)
        samples = np.frombuffer(pcm, dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._pts
        frame.time_base = TIME_BASE
        self._pts += FRAME_SAMPLES
        return frame

    def stop(self) -> None:
        super().stop()
        self._reader.cancel()


class Bridge:
    """One browser peer connection joined to one call until either ends."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.pc = RTCPeerConnection()
        self.outgoing = CallAudioTrack(call)
        self.pc.addTrack(self.outgoing)
        self._tasks: list[asyncio.Task[Any]] = []
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        self._pending = b""

        @self.pc.on("track")
        def _on_track(track: MediaStreamTrack) -> None:
            if track.kind == "audio":
                self._tasks.append(asyncio.create_task(self._pump(track)))

        @self.pc.on("connectionstatechange")
        async def _on_state() -> None:
            if self.pc.connectionState in ("failed", "closed"):
                await self.call.hangup()

    async def answer(self, offer_sdp: str) -> str:
        """The SDP answer to the browser's offer (ICE candidates included)."""
        if not offer_sdp or len(offer_sdp) > MAX_SDP or "m=audio" not in offer_sdp:
            raise InvalidInput("the browser's offer is missing or has no audio")
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            await self.pc.setLocalDescription(await self.pc.createAnswer())
        except ValueError as exc:
            raise InvalidInput(f"the browser's offer cannot be used: {exc}") from None
        return str(self.pc.localDescription.sdp)

    async def _pump(self, track: MediaStreamTrack) -> None:
        """Browser -> call: resample each decoded frame to 8 kHz and play it in 20 ms frames."""
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if self.call.ended:
                return
            if not isinstance(frame, av.AudioFrame):
                continue
            for out in self._resampler.resample(frame):
                self._pending += bytes(out.planes[0])[: out.samples * 2]
            whole = len(self._pending) - len(self._pending) % FRAME_BYTES
            # On hold the other side hears silence (the media clock's), not the browser.
            if whole and self.call.answered_at is not None and not self.call.held:
                if self.call.queued_frames > MAX_QUEUED_FRAMES:
                    self.call.stop_playing()  # a burst after a network stall: catch up, stay live
                self.call.play(self._pending[:whole])
            self._pending = self._pending[whole:]

    async def close(self) -> None:
        self.outgoing.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.pc.close()
