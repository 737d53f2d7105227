"""Spoken prompts from text, offline: espeak-ng speaks, sox converts to 8 kHz PCM frames."""

from __future__ import annotations

import asyncio
import os
import shutil

from ringfence.errors import ServiceUnavailable
from ringfence.media.frames import SOX_CALL_AUDIO

MAX_PROMPT_CHARS = 2000
CACHED_PROMPTS = 256  # a service's fixed prompts; beyond this, prompts are spoken afresh
_prompts: dict[str, bytes] = {}


async def speak(text: str, *, voice: str = "en-us", speed: int = 160) -> bytes:
    """PCM (16-bit, mono, 8 kHz) of ``text`` spoken by espeak-ng."""
    if not text.strip():
        return b""
    if len(text) > MAX_PROMPT_CHARS:
        raise ValueError(f"a prompt is at most {MAX_PROMPT_CHARS} characters")
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    if espeak is None or sox is None:
        raise ServiceUnavailable("speech needs espeak-ng and sox (Debian packages)")
    read, write = os.pipe()
    speaker = await asyncio.create_subprocess_exec(
        espeak,
        "-v",
        voice,
        "-s",
        str(speed),
        "--stdout",
        "--",
        text,
        stdout=write,
        stderr=asyncio.subprocess.DEVNULL,
    )
    os.close(write)
    converter = await asyncio.create_subprocess_exec(
        sox,
        "-q",
        "-t",
        "wav",
        "-",
        *SOX_CALL_AUDIO,
        "-",
        stdin=read,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    os.close(read)
    pcm, err = await converter.communicate()
    await speaker.wait()
    if converter.returncode != 0 or speaker.returncode != 0:
        raise ServiceUnavailable(f"speech synthesis failed: {err.decode(errors='replace')[:200]}")
    return pcm


async def spoken_prompt(text: str) -> bytes:
    """``speak(text)``, kept in memory: the same prompt is said on every call of a service."""
    found = _prompts.get(text)
    if found is None:
        found = await speak(text)
        if len(_prompts) < CACHED_PROMPTS:
            _prompts[text] = found
    return found
