"""Call recording: both sides as a stereo WAV (left: the other party, right: us), encrypted with
the other party's data key and written to the ``call_recording`` file store.

Audio is held in memory until the call ends (16 kB/s per call; a call is capped by the
telephony ``max_duration``), then encrypted in one piece: nothing unencrypted touches the disk.
"""

from __future__ import annotations

import asyncio
import io
import wave
from pathlib import Path

from ringfence.media.frames import SAMPLE_RATE
from ringfence.privacy.crypto import Vault
from ringfence.privacy.files import subject_folder
from ringfence.privacy.inventory import Category
from ringfence.store.database import Database

SUFFIX = ".wav.enc"
JITTER_FRAMES = 3


class Recorder:
    def __init__(self) -> None:
        self._remote = bytearray()
        self._local = bytearray()

    def heard(self, frame: bytes) -> None:
        self._remote += frame

    def said(self, frame: bytes) -> None:
        """Every media tick. A phone that sends nothing while quiet (DTX) leaves gaps in what
        was heard: they are filled with silence here, so both sides keep one timeline (up to
        ``JITTER_FRAMES`` of lag are left for packets still on their way)."""
        self._local += frame
        behind = len(self._local) - JITTER_FRAMES * len(frame) - len(self._remote)
        if behind > 0:
            self._remote += bytes(behind)

    @property
    def seconds(self) -> float:
        return max(len(self._remote), len(self._local)) / 2 / SAMPLE_RATE

    def wav(self) -> bytes:
        """Interleave the two sides into 16-bit stereo, the shorter padded with silence."""
        size = max(len(self._remote), len(self._local))
        left = bytes(self._remote) + bytes(size - len(self._remote))
        right = bytes(self._local) + bytes(size - len(self._local))
        stereo = bytearray(size * 2)
        stereo[0::4] = left[0::2]
        stereo[1::4] = left[1::2]
        stereo[2::4] = right[0::2]
        stereo[3::4] = right[1::2]
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(bytes(stereo))
        return buffer.getvalue()


async def store(
    recorder: Recorder,
    *,
    call_id: str,
    subject_ref: str,
    category: Category,
    vault: Vault,
    db: Database,
    data_dir: Path,
) -> Path:
    """Encrypt the recording under the subject's data key and write it; returns its path."""
    async with db.session() as session:
        blob = await vault.encrypt(session, subject_ref, recorder.wav())
    folder = subject_folder(data_dir, category, subject_ref)
    path = folder / f"{call_id}{SUFFIX}"

    def write() -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(blob)
        tmp.replace(path)

    await asyncio.to_thread(write)
    return path
