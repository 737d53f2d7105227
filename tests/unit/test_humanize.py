import datetime as dt

import pytest
from babel import Locale

from ringfence.humanize import DAY, date, duration, locale_for, when


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (2557 * DAY, "7 years"),
        (2555 * DAY, "7 years"),
        (365 * DAY, "1 year"),
        (548 * DAY, "1 year, 6 months"),
        (90 * DAY, "3 months"),
        (60 * DAY, "2 months"),
        (30 * DAY, "30 days"),
        (100 * DAY, "3 months, 9 days"),
        (45 * DAY, "45 days"),
        (14 * DAY, "2 weeks"),
        (10 * DAY, "10 days"),
        (7200, "2 hours"),
        (5400, "1 hour, 30 minutes"),
        (100, "1 minute, 40 seconds"),
        (45, "45 seconds"),
        (1, "1 second"),
        (0.3, "0 seconds"),
        (-60, "1 minute"),
        (dt.timedelta(hours=3), "3 hours"),
    ],
)
def test_a_length_is_said_in_the_largest_unit_that_holds_it(
    seconds: float | dt.timedelta, said: str
) -> None:
    assert duration(seconds) == said


def test_short_style_and_other_languages() -> None:
    assert duration(45, style="short") == "45 sec"
    assert duration(2557 * DAY, Locale("de")) == "7 Jahre"
    assert duration(100, Locale("fr")) == "1 minute et 40\u00a0secondes"


def test_a_length_that_is_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        duration(float("nan"))


def test_dates_follow_the_locale_and_moments_are_said_in_utc() -> None:
    moment = dt.datetime(2026, 12, 2, 8, 53, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert date(moment, Locale.parse("en_GB")) == "2 Dec 2026, 07:53 UTC"
    assert date(moment) == "Dec 2, 2026, 7:53\u202fAM UTC"
    assert date(moment.date(), Locale("de")) == "02.12.2026"
    # the store keeps naive datetimes in UTC
    assert date(dt.datetime(2026, 12, 2, 7, 53), Locale.parse("en_GB")) == "2 Dec 2026, 07:53 UTC"


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr_CH"),
        ("en;q=0.5, de", "de"),
        ("xx-YY, pt-BR;q=0.3", "pt_BR"),
        ("en;q=0, ja", "ja"),
        ("*", "en"),
        ("", "en"),
        (None, "en"),
        ("de;q=abc, it;q=0.1", "it"),
        ("../../etc/passwd, es", "es"),
        ("a" * 10_000, "en"),
    ],
)
def test_the_locale_is_the_best_accept_language_cldr_knows(header: str | None, locale: str) -> None:
    assert str(locale_for(header)) == locale


def test_a_recent_moment_is_said_as_a_list_of_calls_says_it() -> None:
    now = dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC)
    gb, fr = Locale.parse("en_GB"), Locale.parse("fr")
    assert when(dt.datetime(2026, 12, 2, 14, 5, tzinfo=dt.UTC), now, gb) == "today 14:05"
    assert when(dt.datetime(2026, 12, 1, 14, 5), now, gb) == "yesterday 14:05"  # naive: UTC
    assert when(dt.datetime(2026, 12, 1, 14, 5, tzinfo=dt.UTC), now, fr) == "hier 14:05"
    assert when(dt.datetime(2026, 11, 29, 9, 30, tzinfo=dt.UTC), now, gb) == "Sunday 09:30"
    assert when(dt.datetime(2026, 11, 3, 9, 30, tzinfo=dt.UTC), now, gb) == "3 Nov, 09:30"
    assert when(dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC), now, gb) == "3 Nov 2025"
    # Seen from a zone ahead of UTC the moment is still said in UTC, as every page says it.
    late = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert when(late, now, gb) == "yesterday 21:30"
