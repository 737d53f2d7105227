"""Who answered an outbound call: a person, an answering machine, or a call screener.

Decided from the first seconds of audio, before the agent says anything, the way telephone
answering-machine detection has long worked (Asterisk's ``AMD()`` uses the same cues and
defaults): a person says a short greeting ("Hello?", under 1.5 s of speech) and waits
(0.8 s) for the caller; a machine talks on ("Hi, you've reached ..."), several seconds without
such a pause. What a long greeting says tells a machine from a call screener ("please say
your name and why you are calling"), which is answered like a person: the screener passes the
agent's disclosure on. A callee who says nothing for 2.5 s is treated as a person, so someone
waiting silently still hears who calls.

For a machine, ``greeting_over`` waits for its beep (a steady tone) or, when it has none, the
silence after its greeting, so a message left is recorded from its start.
"""

from __future__ import annotations

import asyncio
import enum
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np

from ringfence.speech.stt import Transcriber
from ringfence.speech.vad import WINDOW_SECONDS, VoiceActivity

VOICED = 0.5  # VAD score of a speech window
INITIAL_SILENCE = 2.5  # seconds of nothing before the callee counts as a silent person
GREETING = 1.5  # seconds of speech a person's greeting stays under
AFTER_GREETING = 0.8  # seconds of pause that end a person's greeting
LONG_GREETING = 2.6  # seconds from the first word without such a pause: a machine
TOTAL = 5.0  # seconds of analysis at most; undecided is a person
SCREENER = re.compile(
    r"screen|say your name|state your name|record your name|reason for (your )?call|"
    r"why (you'?re|you are) calling|who'?s calling|who is calling",
    re.I,
)
MACHINE = re.compile(
    r"leave (a|your) message|after the (tone|beep)|not available|voice ?mail|mailbox|"
    r"can'?t (take|come to|answer)|unable to (take|answer)|reached",
    re.I,
)
FRAME_SECONDS = 0.02
BEEP_FRAMES = 8  # 160 ms of one steady tone
BEEP_MIN_HZ, BEEP_MAX_HZ = 400.0, 2600.0
BEEP_PURITY = 0.6  # share of a frame's energy within one frequency bin and its neighbours
BEEP_RMS = 400.0
END_SILENCE = 1.5  # seconds of quiet that end a greeting without a beep
MAX_GREETING = 30.0


class Answered(enum.Enum):
    PERSON = "person"
    SILENT = "silent"  # nothing said: treated as a person
    MACHINE = "machine"
    SCREENER = "screener"

    @property
    def is_person(self) -> bool:
        return self in (Answered.PERSON, Answered.SILENT, Answered.SCREENER)


@dataclass
class GreetingTimer:
    """The timing half of the decision, on VAD window scores (pure, no I/O)."""

    elapsed: float = 0.0
    first_voice: float | None = None
    voiced: float = 0.0
    pause: float = 0.0
    verdict: str | None = None  # person | machine | silent | undecided

    def window(self, score: float) -> str | None:
        self.elapsed += WINDOW_SECONDS
        if score >= VOICED:
            if self.first_voice is None:
                self.first_voice = self.elapsed - WINDOW_SECONDS
            self.voiced += WINDOW_SECONDS
            self.pause = 0.0
        elif self.first_voice is not None:
            self.pause += WINDOW_SECONDS
        if self.first_voice is None:
            if self.elapsed >= INITIAL_SILENCE:
                self.verdict = "silent"
        elif self.pause >= AFTER_GREETING:
            self.verdict = "person" if self.voiced <= GREETING else "machine"
        elif self.elapsed - self.first_voice >= LONG_GREETING:
            self.verdict = "machine"
        elif self.elapsed >= TOTAL:
            self.verdict = "undecided"
        return self.verdict


@dataclass
class Detection:
    answered: Answered
    seconds: float  # of audio listened to
    heard: str = ""  # the words of a long greeting, when they were transcribed


async def paced(frames: AsyncIterator[bytes], gap: float = 0.1) -> AsyncIterator[bytes]:
    """The call's frames, with silence for each ``gap`` in which none arrived: a phone that
    sends nothing while quiet (or nothing at all) is still heard as time passing."""
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def read() -> None:
        async for frame in frames:
            queue.put_nowait(frame)
        queue.put_nowait(None)

    reader = asyncio.ensure_future(read())
    try:
        while True:
            try:
                frame = await asyncio.wait_for(queue.get(), gap)
            except TimeoutError:
                frame = bytes(int(gap / FRAME_SECONDS) * 320)
            if frame is None:
                return
            yield frame
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


async def detect(
    frames: AsyncIterator[bytes], vad: VoiceActivity, transcriber: Transcriber
) -> Detection:
    """Listen to the first seconds of an answered call and say who answered."""
    timer = GreetingTimer()
    audio = bytearray()
    verdict: str | None = None
    async for frame in paced(frames):
        audio += frame
        for score in vad.scores(frame):
            verdict = timer.window(score)
            if verdict:
                break
        if verdict:
            break
    if verdict in (None, "undecided", "person"):
        return Detection(Answered.PERSON, timer.elapsed)
    if verdict == "silent":
        return Detection(Answered.SILENT, timer.elapsed)
    heard = (await transcriber.transcribe(bytes(audio))).strip()
    kind = Answered.SCREENER if SCREENER.search(heard) else Answered.MACHINE
    return Detection(kind, timer.elapsed, heard)


def is_tone(pcm: bytes, rate: int = 8000) -> bool:
    """A 20 ms frame that is one steady tone in the band beeps use (not speech, not silence)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if len(samples) < 64 or np.sqrt((samples**2).mean()) < BEEP_RMS:
        return False
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    peak = int(np.argmax(spectrum))
    hz = peak * rate / len(samples)
    if not BEEP_MIN_HZ <= hz <= BEEP_MAX_HZ:
        return False
    near = spectrum[max(0, peak - 2) : peak + 3].sum()
    return bool(near / spectrum.sum() >= BEEP_PURITY)


async def greeting_over(frames: AsyncIterator[bytes]) -> str:
    """Wait for the end of a machine's greeting: "beep", "silence", or "timeout"/"ended"."""
    tone = quiet = 0
    heard = 0.0
    async for frame in paced(frames):
        heard += len(frame) / 320 * FRAME_SECONDS
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        loud = len(samples) > 0 and np.sqrt((samples**2).mean()) >= BEEP_RMS / 2
        if is_tone(frame):
            tone += 1
        elif tone >= BEEP_FRAMES:
            return "beep"  # the tone stopped: record from here
        else:
            tone = 0
        quiet = 0 if loud else quiet + len(frame) // 320
        if quiet * FRAME_SECONDS >= END_SILENCE:
            return "silence"
        if heard >= MAX_GREETING:
            return "timeout"
    return "ended"
