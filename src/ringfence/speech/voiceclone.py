"""Custom voices from a hosted provider (an ElevenLabs-compatible API).

No offline voice-cloning model can ship inside a package here (the open ones are gigabytes and
fetch their weights from a hub at run time), so a custom voice is made, spoken and deleted by a
hosted provider the operator configures (``RINGFENCE_AGENTS__VOICE_CLONE_URL`` and ``_KEY``):

- ``POST {base}/voices/add`` (multipart: ``name``, ``files``) makes a voice: ``{"voice_id"}``;
- ``POST {base}/text-to-speech/{voice_id}?output_format=pcm_16000`` speaks ``{"text"}`` as raw
  16-bit PCM at 16 kHz, resampled here to the call's 8 kHz;
- ``DELETE {base}/voices/{voice_id}`` deletes it (a 404 counts as deleted).
"""

from __future__ import annotations

import asyncio

import httpx
import numpy as np

from ringfence.errors import ServiceUnavailable
from ringfence.speech.tts import to_call_rate

TIMEOUT = 30.0


class HostedVoices:
    def __init__(self, base_url: str, api_key: str | None) -> None:
        self.base = base_url.rstrip("/")
        self.headers = {"xi-api-key": api_key} if api_key else {}

    async def create(self, name: str, wav: bytes) -> str:
        files = {"files": ("sample.wav", wav, "audio/wav")}
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT, headers=self.headers) as client:
                made = await client.post(f"{self.base}/voices/add", data={"name": name},
                                         files=files)  # fmt: skip
                made.raise_for_status()
                voice_id = made.json()["voice_id"]
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise ServiceUnavailable(f"the voice provider did not make the voice: {exc}") from None
        return str(voice_id)

    async def delete(self, voice_id: str) -> None:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT, headers=self.headers) as client:
                gone = await client.delete(f"{self.base}/voices/{voice_id}")
                if gone.status_code != 404:
                    gone.raise_for_status()
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the voice provider did not delete it: {exc}") from None


class ClonedSpeaker:
    """A ``Speaker`` in a custom voice."""

    def __init__(self, voices: HostedVoices, voice_id: str) -> None:
        self.voices = voices
        self.voice_id = voice_id

    async def synthesize(self, text: str) -> bytes:
        if not text.strip():
            return b""
        url = f"{self.voices.base}/text-to-speech/{self.voice_id}"
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT, headers=self.voices.headers) as client:
                spoken = await client.post(url, params={"output_format": "pcm_16000"},
                                           json={"text": text})  # fmt: skip
                spoken.raise_for_status()
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the voice provider did not speak: {exc}") from None
        pcm = spoken.content[: len(spoken.content) // 2 * 2]
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        return await asyncio.to_thread(to_call_rate, samples, 16000)
