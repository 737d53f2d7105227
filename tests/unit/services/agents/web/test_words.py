"""Stored values said in words on agents' pages, a value no list has yet still in words."""

from __future__ import annotations

from ringfence.services.agents.calls.components import VOICES
from ringfence.services.agents.calls.records import OUTCOMES
from ringfence.services.agents.dialogue.offline import KINDS
from ringfence.services.agents.evaluations.shopper import QUESTIONS
from ringfence.services.agents.web.words import WORDS, say
from ringfence.tenants.roles import ROLES


def test_every_stored_value_the_pages_show_has_its_words() -> None:
    assert set(OUTCOMES) <= set(WORDS["outcome"])
    assert set(ROLES) == set(WORDS["role"])
    assert set(QUESTIONS) == set(WORDS["question"])
    assert set(VOICES) == set(WORDS["builtin_voice"])
    assert set(KINDS) == set(WORDS["turn"])
    assert say("outcome", "message_taken") == "Message taken"
    assert say("role", "agent-editor") == "Agent editor"


def test_a_value_not_listed_is_still_said_in_words() -> None:
    assert say("outcome", "failed_after_pickup") == "Failed after pickup"
    assert say("nothing-like-it", "some-value") == "Some value"
    assert say("outcome", None) == "" and say("outcome", "") == ""
