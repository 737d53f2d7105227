"""A campaign's call-back promise: the contact's local time, the time asked when their calling
window allows it, else the nearest time after it that does, and none past the campaign's end."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ringfence.services.agents.campaigns.call_backs import CampaignCallBacks
from ringfence.services.agents.campaigns.rules import CallingRules
from ringfence.testing.clock import FakeClock

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
CLOCK = FakeClock(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC))  # 10 am in New York


def _promise(e164: str, ends_at: dt.datetime | None = None) -> CampaignCallBacks:
    made = CampaignCallBacks.make(e164, CallingRules(), ends_at, CLOCK)
    assert made is not None
    return made


def test_now_is_the_contacts_local_time() -> None:
    assert _promise("+12125550100").now() == dt.datetime(2026, 12, 1, 10, 0, tzinfo=NEW_YORK)
    assert _promise("+81312345678").now().hour == 0  # midnight in Tokyo


def test_a_time_inside_the_window_is_kept() -> None:
    asked = dt.datetime(2026, 12, 2, 15, 0, tzinfo=NEW_YORK)
    assert _promise("+12125550100").allowed(asked) == asked


def test_a_time_outside_the_window_moves_to_the_nearest_allowed() -> None:
    asked = dt.datetime(2026, 12, 1, 23, 0, tzinfo=NEW_YORK)
    assert _promise("+12125550100").allowed(asked) == dt.datetime(
        2026, 12, 2, 8, 0, tzinfo=NEW_YORK
    )


def test_the_window_is_the_contacts_whatever_zone_the_time_was_given_in() -> None:
    asked = dt.datetime(2026, 12, 1, 22, 0, tzinfo=NEW_YORK)  # noon in Tokyo
    assert _promise("+81312345678").allowed(asked) == asked.astimezone(TOKYO)


def test_no_promise_past_the_campaigns_end() -> None:
    ends = dt.datetime(2026, 12, 2, 0, 0, tzinfo=dt.UTC)
    asked = dt.datetime(2026, 12, 2, 15, 0, tzinfo=NEW_YORK)
    assert _promise("+12125550100", ends).allowed(asked) is None


def test_a_number_without_a_zone_gets_no_promise() -> None:
    assert CampaignCallBacks.make("+80012345678", CallingRules(), None, CLOCK) is None
