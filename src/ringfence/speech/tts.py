"""Text-to-speech for calls: offline, hibari (a 7.9 MB ONNX voice inside the package, about 100x
real time on one core) or espeak-ng; or a hosted OpenAI-compatible ``/audio/speech``. All give
8 kHz 16-bit mono PCM."""

from __future__ import annotations

import asyncio
import os
from functools import cache
from typing import Any, Protocol

import av
import httpx
import numpy as np

from ringfence.errors import ServiceUnavailable
from ringfence.media.frames import SAMPLE_RATE
from ringfence.media.speech import speak
from ringfence.speech.pinned import verified

HOSTED_RATE = 24_000  # the "pcm" response format: 16-bit mono at 24 kHz


class Speaker(Protocol):
    async def synthesize(self, text: str) -> bytes:
        """8 kHz 16-bit mono PCM of ``text`` spoken."""


class EspeakSpeaker:
    async def synthesize(self, text: str) -> bytes:
        return await speak(text)


@cache
def _hibari() -> Any:
    import hibari

    folder = os.path.dirname(hibari.__file__)
    model = verified(folder, "assets/hibari.onnx")
    return hibari.Hibari(model=str(model), threads=1)


def to_call_rate(audio: np.ndarray, rate: int) -> bytes:
    """Float samples at ``rate`` -> 8 kHz 16-bit PCM (PyAV's resampler, with its filter)."""
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    out = b"".join(bytes(f.planes[0])[: f.samples * 2] for f in resampler.resample(frame))
    out += b"".join(bytes(f.planes[0])[: f.samples * 2] for f in resampler.resample(None))
    return out


class HibariSpeaker:
    async def synthesize(self, text: str) -> bytes:
        def run() -> bytes:
            engine = _hibari()
            audio = engine(text, seed=0)
            return to_call_rate(np.asarray(audio, dtype=np.float32), int(engine.sample_rate))

        if not text.strip():
            return b""
        return await asyncio.to_thread(run)


class HostedSpeaker:
    """An OpenAI-compatible ``POST {base}/audio/speech`` asked for raw PCM, resampled to 8 kHz."""

    def __init__(self, base_url: str, model: str, voice: str, api_key: str | None) -> None:
        self.url = base_url.rstrip("/") + "/audio/speech"
        self.model, self.voice = model, voice
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    async def synthesize(self, text: str) -> bytes:
        if not text.strip():
            return b""
        body = {"model": self.model, "voice": self.voice, "input": text,
                "response_format": "pcm"}  # fmt: skip
        try:
            async with httpx.AsyncClient(timeout=20) as client:
                response = await client.post(self.url, json=body, headers=self.headers)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the text-to-speech service failed: {exc}") from None
        pcm = response.content[: len(response.content) // 2 * 2]
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        return await asyncio.to_thread(to_call_rate, samples, HOSTED_RATE)
