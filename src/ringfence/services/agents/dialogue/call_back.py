"""A request to be called back, and the time it asks for: "call me back later", "tomorrow at
three", "in an hour", "on Friday morning".

Read on the words as a speech recogniser writes them, in the contact's own time: ``asked_time``
takes the contact's local now (an aware datetime in their zone) and answers an aware local
time. Spoken hours without "am"/"pm" are read as a person means them on the phone: one to seven
is the afternoon ("at three" is 3 pm), eight to eleven the morning, unless the words say
"evening" or "tonight". A day without an hour is that day at a usual hour (10 am; 9 am for the
morning, 2 pm for the afternoon, 6 pm for the evening); "later" alone is two hours from now.
Whether the campaign may call then is not decided here (``CallBacks.allowed``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Protocol

LATER = dt.timedelta(hours=2)  # "call me later", "try again later"

_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "forty five": 45, "fourty five": 45, "forty-five": 45,
    "couple of": 2, "a couple of": 2, "few": 3, "a few": 3,
}  # fmt: skip
_NUMBER = r"(\d{1,3}|" + "|".join(sorted(map(re.escape, _NUMBERS), key=len, reverse=True)) + ")"
_HOUR = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_MINUTE = r"(\d{2}|fifteen|thirty|forty five|forty-five|o'?clock)"
_MERIDIEM = r"(a ?m|p ?m|in the morning|in the afternoon|in the evening|at night)"
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_IN = re.compile(rf"\bin (half an hour|{_NUMBER} (minutes?|mins?|hours?))\b")
_CLOCK = re.compile(
    rf"\b(at|after|around|about|by|for) (?P<h>{_HOUR})(( |:)(?P<m>{_MINUTE}))?"
    rf"( (?P<ap>{_MERIDIEM}))?"
    rf"|\b(?P<h2>{_HOUR})(( |:)(?P<m2>{_MINUTE}))? ?(?P<ap2>a ?m|p ?m)\b"
    rf"|\b(?P<h3>{_HOUR}) o'?clock\b"
    r"|\b(?P<noon>noon|midday|lunchtime|lunch time)\b"
    rf"|\bhalf past (?P<half>{_HOUR})\b"
)
_PART = re.compile(r"\b(morning|afternoon|evening|tonight|night)\b")
_DAY = re.compile(r"\b(today|tonight|tomorrow|next week|" + "|".join(_WEEKDAYS) + r")\b")
_LATER = re.compile(r"\b(later|another time|some other time|a bit|in a while|in a bit)\b")
_PART_HOURS = {"morning": 9, "afternoon": 14, "evening": 18, "tonight": 19, "night": 19}


class CallBacks(Protocol):
    """What a conversation needs to promise a call-back on an outbound call: the contact's
    local time now, and the nearest time at or after the one asked for when the campaign may
    call them (None when it never may before the campaign ends)."""

    def now(self) -> dt.datetime: ...

    def allowed(self, at: dt.datetime) -> dt.datetime | None: ...


def asked_time(said: str, now: dt.datetime) -> dt.datetime | None:
    """When the words ask to be called, in ``now``'s zone; None when they name no time."""
    words = _plain(said)
    span = _IN.search(words)
    if span is not None:
        return now + _span(span)
    day = _DAY.search(words)
    part = _PART.search(words)
    clock = _CLOCK.search(words)
    if clock is None and day is None and part is None:
        return now + LATER if _LATER.search(words) else None
    date = _date(day.group(1) if day else "", now)
    if clock is not None:
        hour, minute = _clock(clock, part.group(1) if part else "")
    elif part is not None:
        hour, minute = _PART_HOURS[part.group(1)], 0
    elif day is not None and day.group(1) == "today":
        return now + LATER
    else:
        hour, minute = 10, 0
    at = dt.datetime.combine(date, dt.time(hour, minute), tzinfo=now.tzinfo)
    if at <= now and day is None:  # "at three" said after three: tomorrow
        at += dt.timedelta(days=1)
    return max(at, now)


def spoken(at: dt.datetime, now: dt.datetime) -> str:
    """``at`` as a person says it, from ``now`` (both in the contact's zone): "today at
    5:30 pm", "tomorrow at 3 pm", "on Friday at 10 am", "on Monday 14 December at 9 am"."""
    days = (at.date() - now.date()).days
    hour = at.hour % 12 or 12
    time = f"{hour}:{at.minute:02d}" if at.minute else f"{hour}"
    time += " am" if at.hour < 12 else " pm"
    if days == 0:
        return f"today at {time}"
    if days == 1:
        return f"tomorrow at {time}"
    if days < 7:
        return f"on {at:%A} at {time}"
    return f"on {at:%A} {at.day} {at:%B} at {time}"


def _span(found: re.Match[str]) -> dt.timedelta:
    if found.group(1) == "half an hour":
        return dt.timedelta(minutes=30)
    count = found.group(2)
    amount = int(count) if count.isdigit() else _NUMBERS[count]
    if found.group(3).startswith("h"):
        return dt.timedelta(hours=amount)
    return dt.timedelta(minutes=amount)


def _date(day: str, now: dt.datetime) -> dt.date:
    today = now.date()
    if day == "tomorrow":
        return today + dt.timedelta(days=1)
    if day == "next week":
        return today + dt.timedelta(days=7 - today.weekday())  # the Monday after
    if day in _WEEKDAYS:
        ahead = (_WEEKDAYS.index(day) - today.weekday()) % 7
        return today + dt.timedelta(days=ahead or 7)
    return today


def _clock(found: re.Match[str], part: str) -> tuple[int, int]:
    """The hour and minute of a spoken time, its half of the day read as a person means it."""
    if found.group("noon"):
        return 12, 0
    if found.group("half"):
        return _afternoon(_number(found.group("half")), "", part), 30
    hour = found.group("h") or found.group("h2") or found.group("h3")
    minute = found.group("m") or found.group("m2") or ""
    meridiem = (found.group("ap") or found.group("ap2") or "").replace(" ", "")
    minutes = 0 if not minute or minute.startswith("o") else _number(minute)
    return _afternoon(_number(hour), meridiem, part), min(minutes, 59)


def _afternoon(hour: int, meridiem: str, part: str) -> int:
    hour = min(hour, 23)
    if meridiem in ("am", "inthemorning") or hour > 12:
        return 0 if hour == 12 and meridiem == "am" else hour
    if meridiem or part in ("afternoon", "evening", "tonight", "night"):
        return hour if hour == 12 else hour + 12
    if part == "morning":
        return hour
    return hour + 12 if 1 <= hour <= 7 else hour


def _number(text: str) -> int:
    text = text.replace("-", " ")
    return int(text) if text.isdigit() else _NUMBERS[text]


def _plain(text: str) -> str:
    """Lower case, no punctuation but apostrophes and the colon of a time, single spaces."""
    text = text.lower().replace("\u2019", "'").replace("p.m.", "pm").replace("a.m.", "am")
    return " ".join(re.sub(r"[^a-z0-9': ]+", " ", text).split())
