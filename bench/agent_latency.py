"""Voice-to-voice latency of the agents' live pipeline with the offline defaults.

Method: one process runs ``--calls`` agent sessions at once (the receptionist's own
``VoiceSession`` with Silero VAD, Whisper tiny.en, the e5 retrieval dialogue and the hibari voice).
Each call runs on the 20 ms pacer of the agents' browser calls
(``Crossed``): every tick it hands the agent one caller frame (speech or silence) and takes
one frame of the agent's audio, as the media clock does on a phone call. The caller's
questions are espeak-ng speech (8 kHz); each is asked when
the agent has been quiet for a second, ``--turns`` times per call. For each turn the pipeline
records the time from the end of the caller's speech (its last voiced VAD window) to the first
reply audio queued, and the stages inside it: recognition (after the end of speech), the
dialogue step, and synthesis of the first sentence. Prints p50/p95 overall and per stage.

    .venv/bin/python bench/agent_latency.py --turns 20 --calls 1
    .venv/bin/python bench/agent_latency.py --turns 10 --calls 4
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from ringfence.clock import SystemClock
from ringfence.media.speech import speak
from ringfence.services.agents.calls.browser import Crossed
from ringfence.services.agents.calls.components import components
from ringfence.services.agents.calls.pipeline import Latency, VoiceSession
from ringfence.services.agents.dialogue.conversation import Conversation
from ringfence.services.agents.dialogue.offline import Dialogue
from ringfence.settings import AgentSettings
from ringfence.telephony.calls import Call

KNOWLEDGE = [
    ("What are your opening hours?", "We are open from nine to five, Monday to Friday."),
    ("Where are you located?", "We are at 12 High Street, next to the station."),
    ("How much is a haircut?", "A haircut costs twenty five pounds."),
    ("Do you take card payments?", "Yes, we take all major cards."),
]
QUESTIONS = [
    "What are your opening hours?",
    "Where are you located?",
    "How much is a haircut?",
    "Do you take card payments?",
]


async def one_call(turns: int, questions: list[bytes], settings: AgentSettings) -> list[Latency]:
    """The agent on a ``Crossed`` call (the same 20 ms pacer the page's calls use): the caller
    plays speech on one end, the agent's pipeline talks on the other."""
    parts = await asyncio.to_thread(components, settings)
    dialogue = await asyncio.to_thread(Dialogue, parts.embedder, "Cutting Edge", KNOWLEDGE)
    conversation = Conversation(dialogue, parts.embedder, "Cutting Edge", "How can I help?",
                                "You are speaking with an automated assistant.")  # fmt: skip
    clock = SystemClock()
    crossed = Crossed(clock)
    call, line = crossed.browser, crossed.agent
    session = VoiceSession(line, conversation, parts.transcriber, parts.speaker, clock, 60.0)
    tasks = [asyncio.create_task(crossed.pace()), asyncio.create_task(session.run())]
    asked = misses = 0
    while len(session.latencies) < turns:
        await _quiet(line, 1.0)  # a caller waits for the agent to finish, then a second
        before = len(session.latencies)
        call.play(questions[asked % len(questions)])
        asked += 1
        await call.played()
        waited = 0.0
        while len(session.latencies) == before and waited < 5.0:
            await asyncio.sleep(0.05)  # a benchmark's poll: the turn shows up in latencies
            waited += 0.05
        misses += len(session.latencies) == before
    await line.hangup()
    await asyncio.gather(*tasks, return_exceptions=True)
    if misses:
        print(f"  ({misses} question(s) not recognised as a turn)")
    return session.latencies


async def _quiet(line: Call, seconds: float) -> None:
    while True:
        await line.played()
        await asyncio.sleep(seconds)
        if not line.queued_frames:
            return


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--calls", type=int, default=1)
    args = parser.parse_args()
    settings = AgentSettings()
    loaded = time.monotonic()
    await asyncio.to_thread(components, settings)
    print(f"models loaded in {time.monotonic() - loaded:.2f} s")
    questions = [await speak(q, voice="en-gb-x-rp", speed=150) for q in QUESTIONS]
    results = await asyncio.gather(
        *(one_call(args.turns, questions, settings) for _ in range(args.calls))
    )
    latencies = [lat for call in results for lat in call]
    total = [lat.total for lat in latencies]
    print(f"{args.calls} concurrent call(s), {len(latencies)} turns")
    print(f"voice-to-voice  p50 {statistics.median(total):.3f} s  p95 {_p(total, 0.95):.3f} s")
    for stage in ("stt", "dialogue", "tts"):
        values = [getattr(lat, stage) for lat in latencies]
        share = sum(values) / sum(total)
        print(f"  {stage:<9} p50 {statistics.median(values):.3f} s  ({share:.0%} of the total)")


if __name__ == "__main__":
    asyncio.run(main())
