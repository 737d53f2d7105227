"""Time to the first audio of a language model's reply, streamed sentence by sentence, against
the time the whole reply takes to arrive (what a reply that is voiced only once complete, as
the one-JSON-per-turn step was, would wait before its first word).

The model is the local OpenAI-compatible server of the tests (``ringfence.testing.
openai_server``), over real HTTP on loopback, writing a word every ``--token-delay`` seconds
(0.04 s: 25 words a second, a 7-8B model on one consumer GPU) after ``--think`` seconds reading
the prompt; the voice is the offline one (hibari). Each turn goes through the conversation's
``reply`` as on a call: request, server-sent events, sentences, synthesis of the first.

    PYTHONPATH=src .venv/bin/python bench/llm_stream.py --turns 10 --token-delay 0.04
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from ringfence.services.agents.dialogue.conversation import Conversation, Step
from ringfence.services.agents.dialogue.model import language_model
from ringfence.services.agents.dialogue.offline import Dialogue
from ringfence.settings import AgentSettings
from ringfence.speech.embeddings import default_embedder
from ringfence.speech.tts import HibariSpeaker
from ringfence.testing.openai_server import Reply, chat_server

BUSINESS = "Riverside Dental Practice"
KNOWLEDGE = [("What are your opening hours?", "We are open from 8 am to 6 pm on weekdays.")]
REPLY = (
    "We are open from eight in the morning to six in the evening on weekdays. On Saturdays "
    "we open from nine until one, and we are closed on Sundays and bank holidays. If you "
    "need us outside those hours, the emergency line is on our website, and I can also take "
    "a message for the team if you like."
)


async def _turn(talk: Conversation, speaker: HibariSpeaker) -> tuple[float, float, float]:
    """Seconds to the first sentence, to its audio, and to the whole reply."""
    start = time.monotonic()
    first = audio = 0.0
    async for part in talk.reply("When are you open?"):
        if isinstance(part, Step):
            break
        if not first:
            first = time.monotonic() - start
            await speaker.synthesize(part)
            audio = time.monotonic() - start
    return first, audio, time.monotonic() - start


async def main(turns: int, token_delay: float, think: float) -> None:
    embedder = default_embedder()
    dialogue = Dialogue(embedder, BUSINESS, KNOWLEDGE)
    speaker = HibariSpeaker()
    await speaker.synthesize("Warming up.")
    firsts, audios, wholes, synths = [], [], [], []
    with chat_server() as server:
        settings = AgentSettings(llm_url=server.base, llm_model="bench")
        for _ in range(turns):
            server.script(Reply(text=REPLY, delay=token_delay, first_delay=think))
            model = language_model(settings, BUSINESS, "", KNOWLEDGE)
            talk = Conversation(dialogue, embedder, BUSINESS, greeting="Hello.",
                                disclosure="An automated assistant.", model=model)  # fmt: skip
            first, audio, whole = await _turn(talk, speaker)
            firsts.append(first)
            audios.append(audio)
            wholes.append(whole)
            began = time.monotonic()
            await speaker.synthesize(REPLY.split(". ")[0] + ".")
            synths.append(time.monotonic() - began)
    words = len(REPLY.split())
    print(f"model: {words} words, a word every {token_delay:g} s after {think:g} s, {turns} turns")  # noqa: T201
    print(f"first sentence decided   p50 {statistics.median(firsts):.3f} s")  # noqa: T201
    print(f"first audio (streamed)   p50 {statistics.median(audios):.3f} s  "  # noqa: T201
          f"max {max(audios):.3f} s")  # fmt: skip
    whole_then_voice = [w + s for w, s in zip(wholes, synths, strict=True)]
    print(f"first audio (whole reply first) p50 {statistics.median(whole_then_voice):.3f} s")  # noqa: T201
    print(f"whole reply streamed     p50 {statistics.median(wholes):.3f} s")  # noqa: T201


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--token-delay", type=float, default=0.04)
    parser.add_argument("--think", type=float, default=0.15)
    args = parser.parse_args()
    asyncio.run(main(args.turns, args.token_delay, args.think))
