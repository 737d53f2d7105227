"""20 ms frames of 16-bit little-endian mono PCM at 8 kHz: the unit calls exchange audio in."""

from __future__ import annotations

from collections.abc import Iterator

SAMPLE_RATE = 8000
FRAME_MS = 20
FRAME_SAMPLES = SAMPLE_RATE * FRAME_MS // 1000
FRAME_BYTES = FRAME_SAMPLES * 2

_SILENCE = bytes(FRAME_BYTES)

# sox output options that produce call audio: raw 16-bit little-endian mono PCM at 8 kHz.
SOX_CALL_AUDIO = ("-t", "raw", "-r", str(SAMPLE_RATE), "-e", "signed", "-b", "16", "-c", "1", "-L")


def silence() -> bytes:
    return _SILENCE


def frames(pcm: bytes) -> Iterator[bytes]:
    """Split PCM into whole frames, padding the last one with silence."""
    for start in range(0, len(pcm), FRAME_BYTES):
        chunk = pcm[start : start + FRAME_BYTES]
        yield chunk if len(chunk) == FRAME_BYTES else chunk + bytes(FRAME_BYTES - len(chunk))
