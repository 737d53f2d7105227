"""The mystery shopper: an evaluation call that asks a business what a customer would, and
keeps what it heard for scoring (``scoring``).

It dials the business, times the answer, waits for the greeting, then asks each question of
the scenario once the business has finished speaking (0.8 s of quiet), and says goodbye
after the last answer. The business's speech is cut into utterances by voice activity and
transcribed; every utterance keeps its time in the call, so each signal's evidence can point
at it. A business that says nothing for 5 s after answering is asked all the same; one that
stays silent 30 s after a question is asked the next.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ringfence.clock import Clock
from ringfence.logging import get_logger
from ringfence.services.agents.calls.answering import paced
from ringfence.services.agents.evaluations.scoring import Heard, Said
from ringfence.speech.stt import Transcriber
from ringfence.speech.tts import Speaker
from ringfence.speech.vad import WINDOW_SECONDS, VoiceActivity
from ringfence.telephony import Call, CallFailed

log = get_logger(__name__)
FRAME_SECONDS = 0.02
START, END = 0.5, 0.35
START_WINDOWS = 2
PAUSE = 0.8  # seconds of quiet that end the business's turn
NO_GREETING = 5.0
NO_REPLY = 30.0
AFTER_GOODBYE = 4.0
MAX_SECONDS = 240.0
PREROLL_FRAMES = 15  # 0.3 s kept before speech is detected, so first syllables are heard
GOODBYE = "Thank you, that's all I needed. Goodbye."
# Said before the first question: whoever answers is told they speak to an automated voice.
DISCLOSURE = "Hello, this is an automated assistant calling."
QUESTIONS = {
    "price": "Hi, could you tell me how much {service} costs?",
    "hours": "And what are your opening hours?",
    "appointment": "Could I book an appointment?",
}


@dataclass(frozen=True)
class Question:
    asks: str  # price | hours | appointment
    say: str


def scenario(asks: list[str], service: str = "a visit") -> list[Question]:
    """The questions of a scenario, in order, from their kinds."""
    unknown = [a for a in asks if a not in QUESTIONS]
    if unknown or not asks:
        raise ValueError(f"questions are some of: {', '.join(QUESTIONS)}")
    return [Question(a, QUESTIONS[a].format(service=service)) for a in asks]


@dataclass
class _Turn:
    start: float
    audio: bytearray
    quiet: int = 0


async def evaluate(
    place: Callable[[], Awaitable[Call]],
    business: str,
    questions: list[Question],
    *,
    speaker: Speaker,
    transcriber: Transcriber,
    vad: VoiceActivity,
    clock: Clock,
) -> Heard:
    """Call the business (``place``: through the outbound gate) as a shopper asking
    ``questions``, and what the business said, each utterance at its time in the call;
    ``clock`` times the answer. The first words are the disclosure."""
    sent = clock.monotonic()
    try:
        call = await place()
    except CallFailed as exc:
        log.warning("evaluation_not_placed", error=str(exc))
        return Heard(business, None)
    if not await call.wait_answered():
        return Heard(business, None)
    heard = Heard(business, clock.monotonic() - sent)
    pending: list[asyncio.Task[None]] = []
    elapsed = 0.0  # seconds of the call since the answer
    above = 0
    turn: _Turn | None = None
    preroll: deque[bytes] = deque(maxlen=PREROLL_FRAMES)
    asked = 0
    speaking_until = 0.0  # when the shopper's queued speech ends
    waiting_since = 0.0  # when the shopper last finished (the answer, at first)
    last_business_end = 0.0
    done_at: float | None = None

    async def keep(start: float, end: float, audio: bytes) -> None:
        text = (await transcriber.transcribe(audio)).strip()
        if text:
            heard.lines.append(Said("business", start, end, text))

    async def say(text: str, asks: str = "") -> None:
        nonlocal speaking_until, waiting_since
        pcm = await speaker.synthesize(text)
        start = max(elapsed, speaking_until)
        call.play(pcm)
        speaking_until = waiting_since = start + len(pcm) / 16000
        heard.lines.append(Said("shopper", start, speaking_until, text, asks))

    try:
        async for frame in paced(call.audio()):
            elapsed += len(frame) / 320 * FRAME_SECONDS
            preroll.append(frame)
            if turn is not None:
                turn.audio += frame
            for score in vad.scores(frame):
                if turn is None:
                    above = above + 1 if score >= START else 0
                    if above >= START_WINDOWS:
                        audio = bytearray(b"".join(preroll))
                        turn = _Turn(max(0.0, elapsed - len(audio) / 16000), audio)
                else:
                    turn.quiet = 0 if score >= END else turn.quiet + 1
            if turn is not None and turn.quiet * WINDOW_SECONDS >= PAUSE:
                last_business_end = elapsed - turn.quiet * WINDOW_SECONDS
                pending.append(asyncio.ensure_future(keep(turn.start, last_business_end,
                                                          bytes(turn.audio))))  # fmt: skip
                turn, above = None, 0
            if elapsed >= MAX_SECONDS:
                break
            if turn is not None or elapsed < speaking_until:
                continue  # someone is speaking
            replied = last_business_end > waiting_since
            if done_at is not None:
                if replied or elapsed >= done_at:
                    break
                continue
            patience = NO_GREETING if asked == 0 else NO_REPLY
            if replied or elapsed - waiting_since >= patience:
                if asked < len(questions):
                    opening = f"{DISCLOSURE} " if asked == 0 else ""
                    await say(opening + questions[asked].say, questions[asked].asks)
                    asked += 1
                else:
                    await say(GOODBYE)
                    done_at = speaking_until + AFTER_GOODBYE
    finally:
        await call.hangup()
        await call.wait_ended()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    heard.lines.sort(key=lambda line: line.start)
    return heard
