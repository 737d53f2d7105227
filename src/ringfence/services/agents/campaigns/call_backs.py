"""A contact's call-back on a campaign call: their local time, and when the campaign may keep
the promise (their calling window, the campaign's end).

The conversation (``dialogue.Conversation``) asks this while the contact is on the line, so the
time the agent confirms is the time the dialler will dial: the one asked for when the rules
allow it, else the first quarter hour after it inside the contact's calling window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ringfence.clock import Clock
from ringfence.services.agents.campaigns.rules import (
    CallingRules,
    local_zones,
    next_window,
    outside,
)


@dataclass(frozen=True)
class CampaignCallBacks:
    """``dialogue.CallBacks`` for one contact of one campaign."""

    e164: str
    zone: ZoneInfo  # the contact's (the first of its number's zones)
    rules: CallingRules
    ends_at: dt.datetime | None
    clock: Clock

    @classmethod
    def make(
        cls, e164: str, rules: CallingRules, ends_at: dt.datetime | None, clock: Clock
    ) -> CampaignCallBacks | None:
        """None for a number whose time zone is unknown (no time could be promised in it)."""
        zones = local_zones(e164)
        if not zones:
            return None
        return cls(e164, ZoneInfo(zones[0]), rules, ends_at, clock)

    def now(self) -> dt.datetime:
        return self.clock.now().astimezone(self.zone)

    def allowed(self, at: dt.datetime) -> dt.datetime | None:
        """``at``, or the nearest time after it the rules allow; None past the campaign's end."""
        when: dt.datetime | None = at.astimezone(dt.UTC)
        if when is not None and outside(self.e164, when, self.rules):
            when = next_window(self.e164, when, self.rules)
        if when is None or (self.ends_at is not None and when >= self.ends_at):
            return None
        return when.astimezone(self.zone)
