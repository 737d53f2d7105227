"""The hosted speech-to-text option against a local OpenAI-compatible endpoint: the request it
makes (a WAV upload with the model and the bearer key), the text it returns, and a clear error
when the service fails."""

from __future__ import annotations

import io
import wave
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from ringfence.errors import ServiceUnavailable
from ringfence.speech.stt import HostedTranscriber
from tests.support.endpoint import local_endpoint

pytestmark = pytest.mark.integration


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def transcribe(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["file"]
        assert isinstance(upload, web.FileField)
        with wave.open(io.BytesIO(upload.file.read())) as audio:
            seen.append({"auth": request.headers.get("Authorization"), "model": form["model"],
                         "rate": audio.getframerate(), "frames": audio.getnframes()})  # fmt: skip
        if form["model"] == "broken":
            return web.json_response({"error": "overloaded"}, status=503)
        return web.json_response({"text": " What are your opening hours? "})

    async with local_endpoint("/audio/transcriptions", transcribe) as base:
        yield base, seen


async def test_hosted_transcription_posts_a_wav_and_returns_the_text(
    endpoint: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = endpoint
    text = await HostedTranscriber(url, "whisper-1", "sk-test").transcribe(bytes(16000))
    assert text == "What are your opening hours?"
    assert seen == [{"auth": "Bearer sk-test", "model": "whisper-1", "rate": 8000, "frames": 8000}]
    with pytest.raises(ServiceUnavailable, match="speech-to-text service failed"):
        await HostedTranscriber(url, "broken", None).transcribe(bytes(16000))
