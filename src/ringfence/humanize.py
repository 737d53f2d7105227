"""Durations and dates as people read them, in their own language.

``duration(2557 * DAY)`` is "7 years", ``duration(90 * DAY)`` "3 months", ``duration(7200)`` "2
hours", ``duration(100)`` "1 minute, 40 seconds"; ``date(moment, locale)`` is "2 Dec 2026, 07:53
UTC" in ``en_GB`` and "2 déc. 2026, 07:53 UTC" in ``fr``; ``when(moment, now, locale)`` is how a
list of recent things says it: "yesterday 14:05", "Monday 09:30", "3 Nov 2025". The words and
patterns are CLDR's, through Babel; the locale comes from the request's ``Accept-Language`` (RFC
9110 §12.5.4) by ``locale_for``. Pure functions: nothing here reads the clock or the environment.

A length is said in the largest unit that holds it whole: years and months are calendar averages,
so a retention of 2557 days (seven years with their leap days) is "7 years", 548 days "1 year, 6
months" and 90 days "3 months"; weeks, days, hours, minutes and seconds must divide to the second. A
length its largest unit does not hold whole (a measured call) is said in two units, the second
rounded: "1 minute, 40 seconds", "3 months, 9 days". Under two months, days: "30 days".
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, get_datetime_format
from babel.lists import format_list
from babel.units import format_unit

__all__ = ["DAY", "DEFAULT_LOCALE", "Locale", "Style", "date", "duration", "locale_for", "when"]

DAY = 86_400
DEFAULT_LOCALE = Locale("en")
Style = Literal["long", "short", "narrow"]

# CLDR unit ids with their length in seconds, largest first; the calendar ones are averages.
_YEAR = 365.2425 * DAY
_MONTH = _YEAR / 12
_UNITS: tuple[tuple[str, float], ...] = (
    ("duration-year", _YEAR),
    ("duration-month", _MONTH),
    ("duration-week", 7 * DAY),
    ("duration-day", DAY),
    ("duration-hour", 3600),
    ("duration-minute", 60),
    ("duration-second", 1),
)
# How far from a whole number of calendar units a length may be and still be said in them: seven
# years of 365 days are 2555 days, with their leap days 2557, either "7 years"; 90 days "3 months".
_CALENDAR_SLACK = 0.02
# The unit a remainder is said in, after the largest unit (weeks are only ever said whole).
_NEXT = {
    "duration-year": "duration-month",
    "duration-month": "duration-day",
    "duration-day": "duration-hour",
    "duration-hour": "duration-minute",
    "duration-minute": "duration-second",
}
_SECONDS = dict(_UNITS)
_LIST_STYLE: dict[Style, Literal["unit", "unit-short", "unit-narrow"]] = {
    "long": "unit",
    "short": "unit-short",
    "narrow": "unit-narrow",
}
# An Accept-Language header is read only this far, and only this many of its languages are tried.
_HEADER_LIMIT = 256
_LANGUAGES_TRIED = 8


def duration(
    seconds: float | dt.timedelta, locale: Locale = DEFAULT_LOCALE, style: Style = "long"
) -> str:
    """A length of time in words: "7 years", "3 months", "2 hours", "1 minute, 40 seconds".

    ``style`` "short" gives "7 yrs", "45 sec"; "narrow" gives "7y", "45s" (in English).
    A negative length is said as its size; under a second is "0 seconds".
    """
    total = abs(seconds.total_seconds() if isinstance(seconds, dt.timedelta) else float(seconds))
    if not math.isfinite(total):
        raise ValueError("a duration must be a finite number of seconds")
    if total < 1:
        return _say(0, "duration-second", locale, style)
    for unit, size in _UNITS:
        count = total / size
        calendar = size > 7 * DAY
        # Under two months a length is said in days ("30 days", as a policy would say it).
        least = 2 if unit == "duration-month" else 1
        if count < (least * (1 - _CALENDAR_SLACK) if calendar else least):
            continue
        off = abs(count - round(count))
        if (off <= _CALENDAR_SLACK * count) if calendar else (off * size <= 0.5):
            return _say(round(count), unit, locale, style)
        if unit == "duration-week":  # said only whole
            continue
        return _two_units(total, unit, locale, style)
    raise AssertionError("a second holds any length of a second or more")


def _two_units(total: float, unit: str, locale: Locale, style: Style) -> str:
    whole = math.floor(total / _SECONDS[unit])
    minor = _NEXT[unit]
    rest = round((total - whole * _SECONDS[unit]) / _SECONDS[minor])
    if rest * _SECONDS[minor] >= _SECONDS[unit] * (1 - _CALENDAR_SLACK):
        return _say(whole + 1, unit, locale, style)
    if rest == 0:
        return _say(whole, unit, locale, style)
    parts = [_say(whole, unit, locale, style), _say(rest, minor, locale, style)]
    return format_list(parts, style=_LIST_STYLE[style], locale=locale)


def _say(count: int, unit: str, locale: Locale, style: Style) -> str:
    return str(format_unit(count, unit, length=style, locale=locale))


def date(moment: dt.datetime | dt.date, locale: Locale = DEFAULT_LOCALE) -> str:
    """A date, or a moment to the minute in UTC, in the locale's medium pattern.

    "2 Dec 2026" for a date; "2 Dec 2026, 07:53 UTC" (en_GB) or "Dec 2, 2026, 7:53 AM UTC" (en)
    for a datetime. A naive datetime is taken to be UTC, as the store keeps them.
    """
    if not isinstance(moment, dt.datetime):
        return format_date(moment, format="medium", locale=locale)
    utc = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    day = format_date(utc.date(), format="medium", locale=locale)
    time = format_time(utc.time(), format="short", locale=locale)
    return str(get_datetime_format("medium", locale=locale)).format(f"{time} UTC", day)


def when(moment: dt.datetime, now: dt.datetime, locale: Locale = DEFAULT_LOCALE) -> str:
    """A recent moment as a list of calls says it, in UTC: "today 14:05", "yesterday 14:05"
    (CLDR's relative day names), "Monday 14:05" within the week, "3 Nov, 14:05" this year,
    "3 Nov 2025" before. A naive datetime is taken to be UTC."""
    utc = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    today = (now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)).date()
    days = (today - utc.date()).days
    time = format_time(utc.time(), format="short", locale=locale)
    relative = locale._data["date_fields"]["day"]["relative"]
    if days in (0, 1) and -days in relative:
        return f"{relative[-days]} {time}"
    if 1 < days < 7:
        return f"{format_date(utc.date(), format='EEEE', locale=locale)} {time}"
    if utc.year == today.year and days >= 0:
        day = format_skeleton("MMMd", utc.date(), locale=locale)
        return str(get_datetime_format("medium", locale=locale)).format(time, day)
    return str(format_date(utc.date(), format="medium", locale=locale))


def locale_for(accept_language: str | None) -> Locale:
    """The first language of an ``Accept-Language`` header CLDR knows, by quality; else English.

    "fr-CH, fr;q=0.9, en;q=0.8" gives fr_CH; "*" or a language CLDR lacks falls through to the next.
    """
    if not accept_language:
        return DEFAULT_LOCALE
    return _locale_for(accept_language[:_HEADER_LIMIT])


@lru_cache(maxsize=256)
def _locale_for(header: str) -> Locale:
    for tag in _ranked(header)[:_LANGUAGES_TRIED]:
        try:
            return Locale.parse(tag, sep="-")
        except (UnknownLocaleError, ValueError):
            continue
    return DEFAULT_LOCALE


def _ranked(header: str) -> list[str]:
    """The header's language tags, best first (the stable sort keeps the header's order on ties)."""
    weighted: list[tuple[float, str]] = []
    for item in header.split(","):
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or not all(part.isalnum() for part in tag.split("-")):
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0 and math.isfinite(quality):
            weighted.append((quality, tag))
    weighted.sort(key=lambda pair: -pair[0])
    return [tag for _, tag in weighted]
