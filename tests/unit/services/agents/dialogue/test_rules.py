"""The rules that decide before any score: opt-outs in every wording (and call-back requests
never taken for one), transfers, bookings, who a message is for, and the parts of what was
said."""

from __future__ import annotations

import pytest

from ringfence.services.agents.dialogue import rules

OPT_OUTS = [
    "stop calling me",
    "please never ring this number again",
    "Don't call me again!",
    "take me off your list",
    "remove my number",
    "I don't want any more calls from you",
    "I don't want to be called again",
    "no more calls please",
    "unsubscribe",
    "put me on your do not call list",
    "I’d rather you didn’t call me anymore",
    "stop phoning this number",
    "lose my number",
    "I want to opt out",
    "I'm not interested, don't call back",
]
NOT_OPT_OUTS = [
    "call me back later",
    "ring me tomorrow",
    "can you call me back in an hour",
    "could you phone me back on Monday",
    "please call me",
    "I'll call again tomorrow",
    "what time do you stop taking calls",
    "can I leave a message",
    "",
]


@pytest.mark.parametrize("said", OPT_OUTS)
def test_every_opt_out_wording_is_one(said: str) -> None:
    assert rules.is_opt_out(said)


@pytest.mark.parametrize("said", NOT_OPT_OUTS)
def test_a_call_back_or_anything_else_is_not_an_opt_out(said: str) -> None:
    assert not rules.is_opt_out(said)


@pytest.mark.parametrize(
    ("said", "call_back"),
    [
        ("call me back later", True),
        ("ring me tomorrow", True),
        ("can you get Mike to call me", True),
        ("give me a ring back this afternoon", True),
        ("what time do you close", False),
    ],
)
def test_call_backs(said: str, call_back: bool) -> None:
    assert rules.is_call_back(said) is call_back


@pytest.mark.parametrize(
    ("said", "person"),
    [
        ("can you let Dr Patel know I called", "Dr Patel"),
        ("can I leave a message for doctor patel", "Dr Patel"),
        ("please tell Sarah that I rang", "Sarah"),
        ("can I leave a messidge for mike", "Mike"),
        ("I'm Ms Hart's client and she needs to call me", "Ms Hart"),
        ("a message for mister singh please", "Mr Singh"),
        ("can I leave a message for the owner", ""),
        ("I'd like to book for Tuesday", ""),
        ("can you take a message", ""),
    ],
)
def test_who_a_message_is_for(said: str, person: str) -> None:
    assert rules.person(said) == person


@pytest.mark.parametrize(
    ("said", "transfer", "booking"),
    [
        ("put me through to the manager", True, False),
        ("I want to speak to a real person", True, False),
        ("can I book an appointment", False, True),
        ("I'd like a table for two", False, True),
        ("I need a nap pointment for my cat", False, True),
        ("can you book me a flight", False, False),
        ("what are your opening hours", False, False),
    ],
)
def test_transfers_and_bookings(said: str, transfer: bool, booking: bool) -> None:
    assert rules.is_transfer_shaped(said) is transfer
    assert rules.is_booking(said) is booking


def test_an_errand_for_something_else_is_one() -> None:
    assert rules.is_errand("can you book me a taxi") and not rules.is_errand("book me in")


def test_what_was_said_is_split_into_parts_that_may_ask_for_something() -> None:
    said = "how much is a check up, and can I book one for Friday?"
    assert rules.clauses(said) == ["how much is a check up", "can I book one for Friday"]
    assert rules.clauses("yes and no") == []
