"""Call-back requests: which words ask the one calling to call back (never an opt-out, and not
"can the manager call me"), and the time they ask for, in the contact's own zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ringfence.services.agents.dialogue import rules
from ringfence.services.agents.dialogue.call_back import asked_time, spoken

NEW_YORK = ZoneInfo("America/New_York")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=NEW_YORK)  # a Tuesday, 10 am


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("call me back later", NOW + dt.timedelta(hours=2)),
        ("Can you call me back tomorrow at three?", _at(2, 15)),
        ("call me back tomorrow at 3 p.m.", _at(2, 15)),
        ("ring me tomorrow at 9:30", _at(2, 9, 30)),
        ("could you ring me back in an hour", _at(1, 11)),
        ("call me back in ten minutes", _at(1, 10, 10)),
        ("phone me back in half an hour", _at(1, 10, 30)),
        ("try me again in a couple of hours", _at(1, 12)),
        ("try me again on friday morning", _at(4, 9)),
        ("call me back at eleven tonight", _at(1, 23)),
        ("not a good time, call me back at half past four", _at(1, 16, 30)),
        ("call me back next week", _at(7, 10)),
        ("call me at noon", _at(1, 12)),
        ("ring me at 8", _at(2, 8)),  # 8 am has passed today: tomorrow
        ("call me back this evening", _at(1, 18)),
        ("call me back on tuesday", _at(8, 10)),  # today is Tuesday: next week's
    ],
)
def test_the_time_asked_for(said: str, expected: dt.datetime) -> None:
    assert asked_time(said, NOW) == expected


@pytest.mark.parametrize("said", ["I'm driving right now", "can you phone me back", "yes"])
def test_no_time_said(said: str) -> None:
    assert asked_time(said, NOW) is None


def test_the_time_is_spoken_from_the_contacts_day() -> None:
    assert spoken(_at(1, 17, 30), NOW) == "today at 5:30 pm"
    assert spoken(_at(2, 15), NOW) == "tomorrow at 3 pm"
    assert spoken(_at(4, 9), NOW) == "on Friday at 9 am"
    assert spoken(_at(14, 12), NOW) == "on Monday 14 December at 12 pm"


@pytest.mark.parametrize(
    "said",
    [
        "call me back later",
        "could you ring me back on monday",
        "now's not a good time, try me again tomorrow",
        "I'm driving right now",
        "give me a ring back this afternoon",
        "don't call me now, call me back tomorrow",
        "please call again later",
    ],
)
def test_a_call_back_request_is_never_an_opt_out(said: str) -> None:
    assert rules.is_call_back_request(said)
    assert not rules.is_opt_out(said)


@pytest.mark.parametrize(
    "said",
    [
        "can the manager call me back tomorrow",
        "ask Dr Patel to call me back",
        "can someone call me back later today",
        "please never ring this number again",
        "what time do you open",
    ],
)
def test_not_a_call_back_for_the_one_calling(said: str) -> None:
    assert not rules.is_call_back_request(said)
