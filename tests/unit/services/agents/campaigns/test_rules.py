"""The calling rules on their own: the local window from the number's zones (stricter ones by
country or zone), and every refusal at once."""

from __future__ import annotations

import datetime as dt

from ringfence.services.agents.campaigns.rules import (
    CallingRules,
    Contactee,
    local_zones,
    next_window,
    refusals,
)

UTC = dt.UTC
CONSENTED = dt.datetime(2026, 1, 1, tzinfo=UTC)


def _who(e164: str, **changes: object) -> Contactee:
    fields: dict[str, object] = {"consent_at": CONSENTED, "opted_out_at": None,
                                 "do_not_call": None, **changes}  # fmt: skip
    return Contactee(e164, **fields)  # type: ignore[arg-type]


def test_the_window_is_the_callees_local_time() -> None:
    rules = CallingRules()
    la = "+13105550100"  # Los Angeles
    assert local_zones(la) == ["America/Los_Angeles"]
    at_noon_utc = dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 04:00 in Los Angeles
    assert "04:00 in America/Los_Angeles" in refusals(_who(la), at_noon_utc, rules, True)[0]
    evening_utc = dt.datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # 12:00 there
    assert refusals(_who(la), evening_utc, rules, True) == []
    # 21:00 local is already outside (the window ends before it).
    assert refusals(_who(la), dt.datetime(2026, 11, 24, 5, 0, tzinfo=UTC), rules, True)


def test_stricter_hours_by_country_or_zone() -> None:
    at = dt.datetime(2026, 11, 23, 16, 30, tzinfo=UTC)  # 08:30 in Los Angeles
    la = _who("+13105550100")
    assert refusals(la, at, CallingRules(), True) == []
    assert refusals(la, at, CallingRules(stricter={"US": (9, 20)}), True)
    assert refusals(la, at, CallingRules(stricter={"America/Los_Angeles": (9, 20)}), True)
    assert refusals(la, at, CallingRules(stricter={"America/Chicago": (9, 20)}), True) == []


def test_every_refusal_is_given() -> None:
    at = dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 12:00 in London
    who = _who(
        "+442079460011", consent_at=None, opted_out_at=at, do_not_call="national", restricted=True
    )
    assert refusals(who, at, CallingRules(), False) == [
        "the business has no verified caller id",
        "opted out",
        "on the national do-not-call list",
        "the number's owner restricted the processing of their data",
        "no prior express written consent to AI-voice calls",
    ]


def test_a_number_without_a_known_zone_is_refused_and_never_opens() -> None:
    at = dt.datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    freephone = "+80012345678"  # international freephone: no time zone
    assert local_zones(freephone) == []
    assert refusals(_who(freephone), at, CallingRules(), True) == [
        "the number's time zone is unknown"
    ]
    assert next_window(freephone, at, CallingRules()) is None


def test_every_zone_of_a_number_must_be_inside_the_window() -> None:
    # a UK mobile is in London and the Crown dependencies: one stricter zone holds them all
    mobile = "+447400123456"
    at = dt.datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # 08:30 in all of them
    assert refusals(_who(mobile), at, CallingRules(), True) == []
    jersey = CallingRules(stricter={"Europe/Jersey": (9, 20)})
    assert "in Europe/Jersey" in refusals(_who(mobile), at, jersey, True)[0]


def test_the_window_opens_on_the_next_quarter_hour_inside_it() -> None:
    la = "+13105550100"
    early = dt.datetime(2026, 11, 23, 12, 7, 30, tzinfo=UTC)  # 04:07 in Los Angeles
    assert next_window(la, early, CallingRules()) == dt.datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    inside = dt.datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # already open: the next quarter
    assert next_window(la, inside, CallingRules()) == dt.datetime(2026, 11, 23, 20, 15, tzinfo=UTC)


def test_an_empty_stricter_window_never_opens() -> None:
    closed = CallingRules(stricter={"US": (9, 9)})
    at = dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert next_window("+13105550100", at, closed) is None
