"""A local stand-in for a hosted voice-cloning provider (ElevenLabs-compatible API), which
cannot run here: the client makes its real requests to it, and the test reads what it holds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import numpy as np
from aiohttp import web

from tests.support.endpoint import serving


@dataclass
class Provider:
    voices: dict[str, bytes] = field(default_factory=dict)  # voice id -> the sample it got
    deleted: list[str] = field(default_factory=list)
    spoken: list[tuple[str, str]] = field(default_factory=list)


@asynccontextmanager
async def voice_provider() -> AsyncIterator[tuple[str, Provider]]:
    held = Provider()

    async def add(request: web.Request) -> web.Response:
        form = await request.post()
        upload = form["files"]
        assert isinstance(upload, web.FileField) and form["name"]
        voice_id = uuid.uuid4().hex
        held.voices[voice_id] = upload.file.read()
        return web.json_response({"voice_id": voice_id})

    async def delete(request: web.Request) -> web.Response:
        voice_id = request.match_info["voice_id"]
        if held.voices.pop(voice_id, None) is None:
            return web.json_response({"detail": "not found"}, status=404)
        held.deleted.append(voice_id)
        return web.json_response({"status": "ok"})

    async def speak(request: web.Request) -> web.Response:
        voice_id = request.match_info["voice_id"]
        if voice_id not in held.voices or request.query.get("output_format") != "pcm_16000":
            return web.json_response({"detail": "no such voice"}, status=404)
        held.spoken.append((voice_id, (await request.json())["text"]))
        t = np.arange(8000) / 16000  # half a second at 16 kHz
        return web.Response(body=(np.sin(2 * np.pi * 300 * t) * 9000).astype("<i2").tobytes())

    app = web.Application()
    app.router.add_post("/v1/voices/add", add)
    app.router.add_delete("/v1/voices/{voice_id}", delete)
    app.router.add_post("/v1/text-to-speech/{voice_id}", speak)
    async with serving(app) as base:
        yield base + "/v1", held
