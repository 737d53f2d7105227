"""Contacts written as vCard 4.0 or CSV read back as they were written (round trip), and files
other address books write (folded lines, grouped properties, escapes, a BOM) read as expected."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ringfence.errors import InvalidInput
from ringfence.services.dial.cards import MAX_BYTES, Entry, csv_text, read, vcards

BOOK = [
    ("Zoë Quartermain", "+442079460958", "keeper; of the light, on\\the rock\nsecond line"),
    ("Bob Ferris", "+12125550123", ""),
    ("A" * 100, "+12125550199", "é" * 80),  # folded across several lines
]


def _back(entries: list[Entry]) -> list[tuple[str, str, str]]:
    return [(e.name, e.number, e.note) for e in entries]


def test_vcards_round_trip_with_escapes_and_folding() -> None:
    text = vcards(BOOK)
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "TEL;VALUE=uri;TYPE=voice:tel:+442079460958" in text
    assert _back(read(text)) == BOOK


def test_csv_round_trips() -> None:
    text = csv_text(BOOK)
    assert text.startswith("name,number,note\r\n")
    assert _back(read(text)) == BOOK


@given(
    st.lists(
        st.tuples(
            st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40),
            st.from_regex(r"\+[1-9]\d{6,12}", fullmatch=True),
            st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_any_book_round_trips_through_a_vcard(book: list[tuple[str, str, str]]) -> None:
    assert _back(read(vcards(book))) == book


def test_a_card_from_another_address_book() -> None:
    text = (
        "\ufeffBEGIN:VCARD\r\nVERSION:3.0\r\nN:Lovelace;Ada;;;\r\nFN:Ada\r\n  Lovelace\r\n"
        "item1.TEL;TYPE=CELL:+44 20 7946 0000\r\nTEL;TYPE=HOME:+44 20 7946 0001\r\n"
        "PHOTO;ENCODING=b:AAAA\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nFN:No Number\r\nEND:VCARD\r\n"
    )
    ada, nobody = read(text)
    assert (ada.name, ada.number, ada.note) == ("Ada Lovelace", "+44 20 7946 0000", "")
    assert (nobody.number, nobody.where) == ("", "card 2")


def test_a_csv_with_its_own_header_case_and_blank_lines() -> None:
    (bob,) = read("Name,Number\n\nBob,(212) 555-0123\n")
    assert bob == Entry("Bob", "(212) 555-0123", "", "line 3")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("BEGIN:VCARD\nFN:Half a card\n", "no complete vCard"),
        ("who,what\nBob,+12125550123\n", "name,number,note"),
        ("name,number\n", "no contacts"),
        ("name,number\n" + "x" * MAX_BYTES, "larger than 1 MB"),
    ],
)
def test_files_that_hold_no_contacts_are_refused(text: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        read(text)
