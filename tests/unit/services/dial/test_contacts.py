"""What a person types into the address book is checked before anything is encrypted, and a
search finds a contact (or a past call) by its name's words or by its number's digits."""

from __future__ import annotations

import datetime as dt

import pytest

from ringfence.errors import InvalidInput
from ringfence.services.dial.contacts import NAME_MAX, NOTE_MAX, ContactIn, folded, matches
from ringfence.services.dial.service import HistorySearch


def test_a_contact_is_tidied_and_its_number_kept_in_e164() -> None:
    typed = ContactIn.checked("  Ada \t Lovelace ", "020 7946 0958", "  the analyst ", "GB")
    assert typed == ContactIn("Ada Lovelace", "+442079460958", "the analyst")
    assert ContactIn.checked("Bo", "+1 212 555 0123", None, None).note == ""


@pytest.mark.parametrize(
    ("name", "number", "note", "says"),
    [
        ("", "+442079460958", "", "give the contact a name"),
        ("  \n ", "+442079460958", "", "give the contact a name"),
        ("A" * (NAME_MAX + 1), "+442079460958", "", "at most 100 characters"),
        ("Ada\x00", "+442079460958", "", "control characters"),
        ("Ada", "+442079460958", "n" * (NOTE_MAX + 1), "at most 500 characters"),
        ("Ada", "", "", "type a phone number"),
        ("Ada", "12", "", "too short"),
        ("Ada", "9" * 41, "", "too long"),
    ],
)
def test_bad_input_is_refused_with_what_is_wrong(
    name: str, number: str, note: str, says: str
) -> None:
    with pytest.raises(InvalidInput, match=says):
        ContactIn.checked(name, number, note, "GB")


def test_a_query_finds_words_of_the_text_or_digits_of_the_number() -> None:
    assert folded("Zoë ÅNGSTRÖM") == "zoe angstrom"
    assert matches("zoe", "Zoë Quartermain", "+442079460958")
    assert matches("quarter zo", "Zoë Quartermain", "+442079460958")
    assert not matches("zoe smith", "Zoë Quartermain", "+442079460958")
    assert matches("+44 20 79", "", "+442079460958")
    assert matches("(7946) 0958", "", "+442079460958")
    assert not matches("555", "Zoë", "+442079460958")
    assert matches("", "", "+442079460958")
    assert not matches("Room 101", "Zoë", "+441011010101")  # words: the digits are not a number


def test_a_history_search_keeps_its_days_in_order() -> None:
    day = dt.date(2026, 12, 1)
    assert HistorySearch("ada", day, day).finds("+442079460958", "Ada")
    assert not HistorySearch("ada").finds("+442079460958", "")
    assert HistorySearch("0958").finds("+442079460958", "")
    with pytest.raises(InvalidInput, match="after its last day"):
        HistorySearch("", day, day - dt.timedelta(days=1))
