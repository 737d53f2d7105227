"""The offline dialogue step with the real embedding model: answers come from the knowledge
base, actions from what the caller asks for, and anything else is declined or asked about, not
invented."""

from __future__ import annotations

import pytest

from ringfence.services.agents.dialogue.offline import Dialogue
from ringfence.speech.embeddings import default_embedder

KNOWLEDGE = [
    ("What are your opening hours?", "We are open from 9 am to 5 pm, Monday to Friday."),
    ("Where are you located?", "We are at 12 High Street, next to the station."),
    ("Do you take card payments?", "Yes, we take all major cards."),
    ("How much is a haircut?", "A haircut costs 25 pounds."),
]


@pytest.fixture(scope="module")
def dialogue() -> Dialogue:
    return Dialogue(default_embedder(), "Cutting Edge", KNOWLEDGE)


@pytest.mark.parametrize(
    ("said", "kind", "matched"),
    [
        ("when do you open", "answer", "What are your opening hours?"),
        ("what time do you close on friday", "answer", "What are your opening hours?"),
        ("what's your address", "answer", "Where are you located?"),
        ("can I pay with visa", "answer", "Do you take card payments?"),
        ("how much for a cut", "answer", "How much is a haircut?"),
        ("I'd like to book an appointment for Tuesday", "book", ""),
        ("could you take a message for Sam", "message", ""),
        ("let me talk to a real person please", "transfer", ""),
        ("okay thanks bye", "end", ""),
        ("please take me off your list", "opt_out", ""),
        ("stop calling me", "opt_out", ""),
        ("please never ring this number again", "opt_out", ""),
        ("call me back later", "call_back", ""),
        ("can the manager call me back tomorrow", "message", ""),
        ("what's the weather like", "off_topic", ""),
        ("", "clarify", ""),
    ],
)
def test_the_agent_answers_from_its_knowledge_or_acts(
    dialogue: Dialogue, said: str, kind: str, matched: str
) -> None:
    turn = dialogue.respond(said)
    assert (turn.kind, turn.matched) == (kind, matched), turn
    assert 0.0 <= turn.score <= 1.0
    if kind == "answer":
        assert turn.reply == dict(KNOWLEDGE)[matched]
    elif kind in ("off_topic", "opt_out", "transfer", "end"):
        assert "Cutting Edge" in turn.reply


def test_a_message_for_a_named_person_names_them(dialogue: Dialogue) -> None:
    turn = dialogue.respond("can you let Dr Patel know I called")
    assert (turn.kind, turn.person) == ("message", "Dr Patel")
    assert "pass it on to Dr Patel" in turn.reply


def test_a_question_with_a_booking_answers_then_books(dialogue: Dialogue) -> None:
    turn = dialogue.respond("how much is a haircut, and can I book one for Tuesday")
    assert (turn.kind, turn.matched) == ("book", "How much is a haircut?")
    assert turn.reply.startswith("A haircut costs 25 pounds.")


def test_an_agent_without_knowledge_still_acts_and_admits_the_rest() -> None:
    empty = Dialogue(default_embedder(), "Acme", [])
    assert empty.respond("put me through to someone").kind == "transfer"
    unknown = empty.respond("what are your opening hours")
    assert unknown.kind == "clarify" and "take a message" in unknown.reply
