"""Sentences for speech, given as soon as each is complete while a reply is streamed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ringfence.services.agents.dialogue.sentences import LONG, Sentences, split


def test_a_sentence_is_given_once_the_next_begins() -> None:
    stream = Sentences()
    assert stream.feed("We are open") == []
    assert stream.feed(" from nine.") == []  # the stop may yet be "9.30": not over
    assert stream.feed(" Come") == ["We are open from nine."]
    assert stream.feed(" by! Is that") == ["Come by!"]
    assert stream.end() == ["Is that"]


def test_titles_and_decimals_do_not_end_a_sentence() -> None:
    assert split("Dr. Patel sees you at 2.30 today. Mrs. Jones is away.") == [
        "Dr. Patel sees you at 2.30 today.",
        "Mrs. Jones is away.",
    ]


def test_a_long_run_without_a_stop_is_cut_at_a_clause() -> None:
    stream = Sentences()
    parts: list[str] = []
    for word in ("we open early, " * 30).split(" "):
        parts += stream.feed(word + " ")
    assert parts and all(len(part) <= LONG + 20 for part in parts)
    assert parts[0].endswith(",")


@given(st.text(alphabet="ab .,?!\n", max_size=200), st.integers(min_value=1, max_value=7))
def test_whatever_the_pieces_nothing_is_lost(text: str, size: int) -> None:
    stream = Sentences()
    parts: list[str] = []
    for at in range(0, len(text), size):
        parts += stream.feed(text[at : at + size])
    parts += stream.end()
    assert " ".join(parts).split() == text.split()
