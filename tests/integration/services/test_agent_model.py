"""The agent's language-model path against a local OpenAI-compatible server that speaks the
real protocol (``ringfence.testing.openai_server``: streamed server-sent events, tool calls in
fragments): the reply voiced sentence by sentence while the model still writes, a business's
tool called signed and its answer fed back, a booking by tool call confirmed back, the offline
guard on opt-outs, and the offline dialogue answering every turn the model fails."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from ringfence.clock import SystemClock
from ringfence.media.frames import FRAME_BYTES
from ringfence.services.agents.calls.pipeline import VoiceSession
from ringfence.services.agents.dialogue.conversation import Conversation, Step
from ringfence.services.agents.dialogue.model import language_model
from ringfence.services.agents.dialogue.offline import Dialogue
from ringfence.services.agents.hooks.calling import CallTools
from ringfence.services.agents.hooks.signing import HEADER, verify
from ringfence.services.agents.hooks.tools import Tools
from ringfence.services.agents.models import AgentTool
from ringfence.services.agents.service import Agents
from ringfence.services.agents.testing import open_shop
from ringfence.settings import AgentSettings
from ringfence.speech.embeddings import default_embedder
from ringfence.speech.tts import HibariSpeaker
from ringfence.store import Database
from ringfence.testing.clock import FakeClock
from ringfence.testing.openai_server import ChatServer, Reply, chat_server
from tests.conftest import SettingsFactory
from tests.support.endpoint import local_endpoint

pytestmark = pytest.mark.integration

BUSINESS = "Cutting Edge"
HOURS = "We are open from nine to five, Monday to Friday."
KNOWLEDGE = [("What are your opening hours?", HOURS)]
SLOTS = ["Tuesday 10:00", "Wednesday 15:00"]
SECRET = "rfs_test-secret"
LONG_REPLY = (
    "We are open from nine to five. On Saturdays we open at ten and close at four, and on "
    "Sundays we are closed all day. Bank holidays follow the Sunday hours unless we say so."
)


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with chat_server() as running:
        yield running


def _settings(server: ChatServer, **more: Any) -> AgentSettings:
    fields: dict[str, Any] = {
        "llm_url": server.base,
        "llm_model": "local-test",
        "llm_key": "sk-local",
        "llm_timeout_seconds": 5.0,
        "hooks_http_hosts": ["127.0.0.1"],
        "hooks_private_networks": True,
    }
    return AgentSettings(**(fields | more))


def _conversation(settings: AgentSettings, slots: list[str] | None = None) -> Conversation:
    embedder = default_embedder()
    model = language_model(settings, BUSINESS, "Be warm and brief.", KNOWLEDGE)
    assert model is not None
    return Conversation(
        Dialogue(embedder, BUSINESS, KNOWLEDGE),
        embedder,
        BUSINESS,
        greeting="How can I help?",
        disclosure=f"You are speaking with an automated assistant for {BUSINESS}.",
        slots=list(slots or []),
        transfer_to="+442079460000",
        model=model,
    )


async def _turn(
    conversation: Conversation, said: str, tools: CallTools | None = None
) -> tuple[list[str], Step]:
    sentences: list[str] = []
    step = Step("")
    async for part in conversation.reply(said, tools):
        if isinstance(part, Step):
            step = part
        else:
            sentences.append(part)
    return sentences, step


# -- spoken as it is written ----------------------------------------------------------------


class _Line:
    def __init__(self) -> None:
        self.queued_frames = 0
        self.played_pcm: list[bytes] = []

    def audio(self) -> AsyncIterator[bytes]:
        raise NotImplementedError  # the test feeds frames itself

    def play(self, pcm: bytes) -> None:
        self.played_pcm.append(pcm)

    def take_queued(self) -> bytes:
        return b""

    async def played(self) -> None:
        pass

    async def hangup(self) -> None:
        pass


class _Voice:
    """Voice activity: a frame of 0x01 bytes is speech."""

    def scores(self, pcm: bytes) -> list[float]:
        return [1.0 if pcm[:1] == b"\x01" else 0.0]


class _Heard:
    async def transcribe(self, pcm: bytes) -> str:
        return "When are you open?"


class _TimedSpeaker:
    """The offline voice, noting when each sentence's synthesis began."""

    def __init__(self) -> None:
        self.voice = HibariSpeaker()
        self.began: list[tuple[float, str]] = []

    async def synthesize(self, text: str) -> bytes:
        self.began.append((time.monotonic(), text))
        return await self.voice.synthesize(text)


async def test_the_reply_is_voiced_sentence_by_sentence_while_the_model_writes(
    server: ChatServer,
) -> None:
    server.script(Reply(text=LONG_REPLY, delay=0.08))
    speaker = _TimedSpeaker()
    line = _Line()
    session = VoiceSession(
        line=line,
        conversation=_conversation(_settings(server)),
        transcriber=_Heard(),  # type: ignore[arg-type]
        speaker=speaker,  # type: ignore[arg-type]
        clock=FakeClock(),
        vad=_Voice(),  # type: ignore[arg-type]
    )
    for _ in range(50):  # a second of speech, then the pause that ends the turn
        session._frame(b"\x01" * FRAME_BYTES)
    for _ in range(50):
        session._frame(b"\x00" * FRAME_BYTES)
    while session._tasks:
        await asyncio.gather(*list(session._tasks))
    request = server.requests[0]
    spoken = [text for _, text in speaker.began]
    assert spoken == [
        "We are open from nine to five.",
        "On Saturdays we open at ten and close at four, and on Sundays we are closed all day.",
        "Bank holidays follow the Sunday hours unless we say so.",
    ]
    # The first sentence's voice was made while the model was still writing the rest.
    assert speaker.began[0][0] < request.chunks_sent_at[-1] - 1.0
    assert len(line.played_pcm) == 3 and all(line.played_pcm)
    said = [(t.speaker, t.text) for t in session.transcript]
    assert said == [("caller", "When are you open?"), ("agent", LONG_REPLY)]
    latency = session.latencies[0]
    assert latency.dialogue < 2.0  # the first sentence, not the whole reply (about 3 s)
    # What went to the model: streamed, its key, the business, and the caller's words.
    body = request.body
    assert body["stream"] is True and body["model"] == "local-test"
    assert request.headers["Authorization"] == "Bearer sk-local"
    system = body["messages"][0]["content"]
    assert BUSINESS in system and HOURS in system and "Be warm and brief." in system
    assert body["messages"][-1] == {"role": "user", "content": "When are you open?"}
    names = {tool["function"]["name"] for tool in body["tools"]}
    assert names == {"take_message", "opt_out", "end_call", "transfer"}


async def test_the_model_hears_the_call_so_far_and_never_a_card_number(server: ChatServer) -> None:
    server.script(Reply(text="Of course."), Reply(text="You're welcome."))
    talk = _conversation(_settings(server))
    opening = talk.opening()
    await _turn(talk, "My card is 4111 1111 1111 1111, is that a problem?")
    await _turn(talk, "Thanks")
    first, second = (r.body["messages"] for r in server.requests)
    assert "4111" not in json.dumps(first) and "[card number]" in first[-1]["content"]
    assert second[1:] == [
        {"role": "assistant", "content": opening},  # the disclosure: said by us, not the model
        first[-1],
        {"role": "assistant", "content": "Of course."},
        {"role": "user", "content": "Thanks"},
    ]


# -- the business's tools -------------------------------------------------------------------


async def test_a_business_tool_is_called_signed_and_its_answer_spoken(server: ChatServer) -> None:
    got: list[tuple[bool, dict[str, Any]]] = []

    async def check_slot(request: web.Request) -> web.Response:
        raw = await request.read()
        signed = verify(SECRET, request.headers.get(HEADER, ""), raw, int(time.time()))
        got.append((signed, json.loads(raw)))
        return web.json_response({"say": "Tuesday at ten is free."})

    async with local_endpoint("/slots", check_slot) as base:
        settings = _settings(server)
        schema = {"type": "object", "properties": {"day": {"type": "string"}},
                  "required": ["day"]}  # fmt: skip
        tool = AgentTool(id="t1", agent_id="a1", name="check_slot", url=base + "/slots",
                         description="Whether a day has a free slot.",
                         parameters=json.dumps(schema), timeout_seconds=4.0)  # fmt: skip
        tools = CallTools(Tools(settings, SystemClock()), SECRET, {"check_slot": tool}, "call-1")
        server.script(
            Reply(text="Let me check.", tool_calls=(("check_slot", {"day": "Tuesday"}),)),
            Reply(text="Good news: Tuesday at ten is free. Shall I book it?"),
        )
        sentences, step = await _turn(_conversation(settings), "Is Tuesday free?", tools)
    assert sentences == ["Let me check.", "Good news: Tuesday at ten is free.", "Shall I book it?"]
    assert step.turn is not None and (step.turn.kind, step.turn.by) == ("answer", "model")
    [(signed, payload)] = got
    assert signed and payload["arguments"] == {"day": "Tuesday"} and payload["call_id"] == "call-1"
    offered = server.requests[0].body["tools"]
    declared = {"name": "check_slot", "description": "Whether a day has a free slot.",
                "parameters": schema}  # fmt: skip
    assert {"type": "function", "function": declared} in offered
    # The tool's answer went back to the model, after the call it answered.
    called, answered = server.requests[1].body["messages"][-2:]
    assert called["tool_calls"][0]["function"] == {"name": "check_slot",
                                                   "arguments": '{"day": "Tuesday"}'}  # fmt: skip
    assert answered == {"role": "tool", "tool_call_id": called["tool_calls"][0]["id"],
                        "content": "Tuesday at ten is free."}  # fmt: skip


async def test_a_booking_by_tool_call_is_confirmed_back_before_it_is_made(
    server: ChatServer,
) -> None:
    server.script(
        Reply(
            text="Lovely.", tool_calls=(("book", {"slot": "Tuesday 10:00", "name": "Sam Jones"}),)
        )
    )
    talk = _conversation(_settings(server), SLOTS)
    sentences, step = await _turn(talk, "Tuesday at ten please, I'm Sam Jones")
    assert sentences == ["Lovely.", "So that's Tuesday 10:00 for Sam Jones.", "Shall I book it?"]
    assert step.turn is not None and step.turn.person == "Sam Jones"
    assert talk.booked == ""  # not before the caller says yes
    assert (
        server.requests[0].body["tools"][0]["function"]["parameters"]["properties"]["slot"]["enum"]
        == SLOTS
    )
    sentences, step = await _turn(talk, "Yes please.")  # the confirmation: the offline rules
    assert "booked for Tuesday 10:00, Sam Jones" in step.say
    assert (talk.booked, talk.booked_name, talk.outcome) == ("Tuesday 10:00", "Sam Jones", "booked")
    assert talk.slots == ["Wednesday 15:00"] and len(server.requests) == 1


async def test_a_message_for_a_named_person_by_tool_call(server: ChatServer) -> None:
    call = ("take_message", {"for": "Dr Patel", "message": "Sam will be ten minutes late."})
    server.script(Reply(tool_calls=(call,)))
    talk = _conversation(_settings(server))
    _, step = await _turn(talk, "Can you let Dr Patel know I'll be ten minutes late?")
    assert step.say.startswith("Thank you. I will pass your message on to Dr Patel.")
    assert talk.outcome == "message_taken" and talk.message_for == "Dr Patel"
    assert "Sam will be ten minutes late." in talk.summary()


# -- the offline guard and fallback ---------------------------------------------------------


async def test_an_opt_out_is_decided_offline_whatever_the_model_would_say(
    server: ChatServer,
) -> None:
    server.script(Reply(text="Sure, we will call you again tomorrow!"))
    talk = _conversation(_settings(server))
    _, step = await _turn(talk, "Please never ring this number again.")
    assert step.then == "opt_out" and "You will not be called again" in step.say
    assert talk.outcome == "opted_out" and server.requests == []  # never asked


async def test_the_models_opt_out_of_a_call_back_request_does_not_stand(
    server: ChatServer,
) -> None:
    server.script(Reply(tool_calls=(("opt_out", {}),)))
    talk = _conversation(_settings(server))
    _, step = await _turn(talk, "Could you call me back later this afternoon?")
    # The offline guard takes it as a call-back, which the receptionist takes as a message.
    assert step.then == "" and step.turn is not None and step.turn.kind == "call_back"
    assert step.turn.by == "offline" and "opted_out" not in talk.outcomes
    assert "when to call you back" in step.say


@pytest.mark.parametrize(
    "reply",
    [
        Reply(first_delay=4.0, text="Too late."),  # over llm_timeout_seconds
        Reply(status=503),
        Reply(raw="this is not JSON"),
        Reply(raw='{"error": {"message": "overloaded"}}'),
        Reply(text="We are open", cut=True),
        Reply(text=""),
        Reply(tool_calls=(("launch_rocket", {}),)),
        Reply(tool_calls=(("book", {"slot": "Sunday 03:00", "name": "Sam"}),)),
        Reply(tool_calls=(("book", '{"slot": "Tuesday 10:00", "na'),)),
    ],
    ids=[
        "timeout",
        "http-503",
        "garbage",
        "error-event",
        "cut",
        "empty",
        "unknown-tool",
        "slot-not-free",
        "broken-arguments",
    ],  # fmt: skip
)
async def test_the_offline_dialogue_answers_when_the_model_fails(
    server: ChatServer, reply: Reply
) -> None:
    server.script(reply)
    talk = _conversation(_settings(server, llm_timeout_seconds=1.5), SLOTS)
    _, step = await _turn(talk, "What are your opening hours?")
    assert step.turn is not None and (step.turn.kind, step.turn.by) == ("answer", "offline")
    assert HOURS in step.say and talk.state == "open"
    assert len(server.requests) == 1
    # The call goes on: the next turn asks the model again.
    server.script(Reply(text="You're welcome."))
    _, step = await _turn(talk, "Great, thank you.")
    assert step.say == "You're welcome." and len(server.requests) == 2


# -- the agent page's try box -----------------------------------------------------------------


async def test_the_try_box_asks_the_model_when_one_is_set(
    server: ChatServer, make_settings: SettingsFactory, db: Database
) -> None:
    settings = make_settings(agents={"llm_url": server.base, "llm_model": "local-test"})
    clock = SystemClock()
    shop = await open_shop(settings, db, clock, [])
    agents = Agents(db, clock, settings.signing_key(), settings=settings.agents)
    server.script(Reply(text="We open at nine. See you soon!"))
    turn = await agents.reply(shop.owner, shop.tenant_id, shop.agent_id, "When do you open?")
    assert (turn.kind, turn.reply, turn.by) == ("answer", "We open at nine. See you soon!", "model")
    turn = await agents.reply(shop.owner, shop.tenant_id, shop.agent_id, "Take me off your list")
    assert (turn.kind, turn.by) == ("opt_out", "offline") and len(server.requests) == 1


def test_the_local_server_answers_whole_replies_too(server: ChatServer) -> None:
    """Without ``stream`` it answers one ``chat.completion``, as the real servers do."""
    server.script(Reply(text="Hello.", tool_calls=(("end_call", {}),)))
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    answer = httpx.post(server.base + "/chat/completions", json=body, timeout=30).json()
    [choice] = answer["choices"]
    assert answer["object"] == "chat.completion" and choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Hello."
    assert choice["message"]["tool_calls"][0]["function"] == {"name": "end_call", "arguments": "{}"}


async def test_a_reply_cut_short_hangs_up_on_the_model(server: ChatServer) -> None:
    """The caller speaks over the agent: the pipeline closes the reply, and the model's
    stream is closed at once rather than read to its end."""
    server.script(Reply(text=LONG_REPLY * 4, delay=0.05))
    talk = _conversation(_settings(server))
    parts = talk.reply("When are you open?")
    assert await anext(parts) == "We are open from nine to five."
    await parts.aclose()
    [request] = server.wait_for(1)
    assert await asyncio.to_thread(request.ended.wait, 60)
    assert request.hung_up
    # The next turn goes on, the model having heard what was said of the cut reply.
    server.script(Reply(text="Sure."))
    await _turn(talk, "Thanks")
    assert server.requests[1].body["messages"][-2:] == [
        {"role": "assistant", "content": "We are open from nine to five."},
        {"role": "user", "content": "Thanks"},
    ]
