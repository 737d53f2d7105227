"""Calling rules: whether a contact may be called now by a business's AI agent, and if not why.

Checked before every outbound dial, each refusal with its reason:
- the recipient's local calling window (8:00 to 21:00 by default, 47 CFR 64.1200(c)(1)), from
  the number's time zones in ``phonenumbers``' data; a number whose country spans zones must be
  inside the window in all of them; stricter windows per country or region are configurable;
- do-not-call: the business's own list (opt-outs included) and the national registries;
- the contact's opt-out;
- prior express written consent, which AI-voice calls need (FCC declaratory ruling, Feb. 2024);
- a caller id the business has verified.
The disclosure of who calls and the opt-out offered within the first seconds are said by the
agent's opening on every call (``Conversation.opening``), so they are not a per-contact check.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as number_zones

DEFAULT_WINDOW = (8, 21)  # local hours: from 8:00 until 21:00


@dataclass(frozen=True)
class CallingRules:
    window: tuple[int, int] = DEFAULT_WINDOW
    # Stricter windows by ISO country ("US") or by a number's zone ("America/Chicago").
    stricter: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Contactee:
    """What the rules look at for one contact (plain values, no database)."""

    e164: str
    consent_at: dt.datetime | None
    opted_out_at: dt.datetime | None
    do_not_call: str | None  # "business" | "national" | None
    # its owner restricted or objected to processing (a rights request proved by phone)
    restricted: bool = False


def local_zones(e164: str) -> list[str]:
    parsed = phonenumbers.parse(e164)
    zones = [z for z in number_zones.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    return zones


def refusals(
    who: Contactee, now: dt.datetime, rules: CallingRules, caller_id_verified: bool
) -> list[str]:
    """Every reason not to call ``who`` at ``now``; empty when the call may go."""
    reasons = []
    if not caller_id_verified:
        reasons.append("the business has no verified caller id")
    if who.opted_out_at is not None:
        reasons.append("opted out")
    if who.do_not_call is not None:
        reasons.append(f"on the {who.do_not_call} do-not-call list")
    if who.restricted:
        reasons.append("the number's owner restricted the processing of their data")
    if who.consent_at is None:
        reasons.append("no prior express written consent to AI-voice calls")
    window = outside(who.e164, now, rules)
    if window:
        reasons.append(window)
    return reasons


def outside(e164: str, now: dt.datetime, rules: CallingRules) -> str:
    """Why ``now`` is outside the number's calling window; "" when inside it."""
    zones = local_zones(e164)
    if not zones:
        return "the number's time zone is unknown"
    region = phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or ""
    for zone in zones:
        start, end = rules.stricter.get(zone) or rules.stricter.get(region) or rules.window
        local = now.astimezone(ZoneInfo(zone))
        if not start <= local.hour < end:
            return f"outside the calling window ({start}:00-{end}:00; {local:%H:%M} in {zone})"
    return ""


SEARCH_STEP = dt.timedelta(minutes=15)
SEARCH_SPAN = dt.timedelta(days=2)


def next_window(e164: str, now: dt.datetime, rules: CallingRules) -> dt.datetime | None:
    """The first quarter hour after ``now`` when the number is inside its calling window in
    all of its zones; None when it never is within two days (an empty stricter window)."""
    if not local_zones(e164):
        return None
    start = now.replace(second=0, microsecond=0)
    start += dt.timedelta(minutes=-start.minute % 15 or 15)
    at = start
    while at - start <= SEARCH_SPAN:
        if not outside(e164, at, rules):
            return at
        at += SEARCH_STEP
    return None
