"""The hosted text-to-speech option against a local OpenAI-compatible endpoint: the request it
makes, and the 24 kHz PCM it gets back turned into the call's 8 kHz audio."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
from aiohttp import web

from ringfence.errors import ServiceUnavailable
from ringfence.speech.tts import HostedSpeaker
from tests.support.endpoint import local_endpoint

pytestmark = pytest.mark.integration


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def speech(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append({"auth": request.headers.get("Authorization"), **body})
        if body["voice"] == "broken":
            return web.json_response({"error": "overloaded"}, status=503)
        t = np.arange(24000) / 24000  # one second of a 440 Hz tone at 24 kHz
        pcm = (np.sin(2 * np.pi * 440 * t) * 12000).astype("<i2").tobytes()
        return web.Response(body=pcm, content_type="audio/pcm")

    async with local_endpoint("/audio/speech", speech) as base:
        yield base, seen


async def test_hosted_speech_comes_back_as_call_audio(
    endpoint: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = endpoint
    pcm = await HostedSpeaker(url, "tts-1", "alloy", "sk-test").synthesize("Hello there.")
    samples = np.frombuffer(pcm, dtype="<i2")
    assert abs(len(samples) - 8000) < 100  # one second at the call's 8 kHz
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    assert abs(np.argmax(spectrum) * 8000 / len(samples) - 440) < 5  # the same tone
    assert seen == [{"auth": "Bearer sk-test", "model": "tts-1", "voice": "alloy",
                     "input": "Hello there.", "response_format": "pcm"}]  # fmt: skip
    with pytest.raises(ServiceUnavailable, match="text-to-speech service failed"):
        await HostedSpeaker(url, "tts-1", "broken", None).synthesize("Hello.")
