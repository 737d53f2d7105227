"""Audio files to call audio: any format sox reads, converted to 16-bit mono PCM at 8 kHz."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from ringfence.errors import InvalidInput, ServiceUnavailable
from ringfence.media.frames import SOX_CALL_AUDIO

MAX_FILE_BYTES = 200 * 1024 * 1024


async def load_audio(path: Path) -> bytes:
    """PCM of an audio file (WAV, FLAC, MP3 where sox supports it), resampled and mixed down."""
    sox = shutil.which("sox")
    if sox is None:
        raise ServiceUnavailable("playing files needs sox (Debian package)")
    size = await asyncio.to_thread(_size, path)
    if size is None:
        raise InvalidInput(f"no such audio file: {path}")
    if size > MAX_FILE_BYTES:
        raise InvalidInput("audio file too large")
    process = await asyncio.create_subprocess_exec(
        sox,
        "-q",
        str(path),
        *SOX_CALL_AUDIO,
        "-",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    pcm, err = await process.communicate()
    if process.returncode != 0:
        raise InvalidInput(f"cannot read audio file: {err.decode(errors='replace')[:200]}")
    return pcm


def _size(path: Path) -> int | None:
    return path.stat().st_size if path.is_file() else None
