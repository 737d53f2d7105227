"""Text cut into sentences for speech: a whole reply (``split``), or a reply as a model streams
it (``Sentences``), where each sentence is given as soon as it is complete, so its voice can be
made while the model is still writing the next.

A sentence ends at ``.``, ``?`` or ``!`` followed by white space; a title before a name ("Dr.
Patel") and a decimal ("2.5") do not end one. A run without such an end is cut at a comma past
``LONG`` characters, so a model that writes one long sentence is not heard only at its end.
"""

from __future__ import annotations

import re

_END = re.compile(r"[.?!][\"')\]]*\s+")
_TITLES = frozenset(
    {"dr", "mr", "mrs", "ms", "st", "no", "prof", "e.g", "i.e", "etc", "approx", "vs"}
)
_CLAUSE = re.compile(r"[,;:]\s+")
LONG = 160


def _ends_sentence(before: str) -> bool:
    """Whether the stop after ``before`` ends a sentence (not a title's: "Dr. Patel")."""
    words = before.split()
    return not words or words[-1].lower().rstrip(".") not in _TITLES


class Sentences:
    """Feed a reply's pieces as they come; each call gives the sentences completed by it."""

    def __init__(self) -> None:
        self._text = ""

    def feed(self, piece: str) -> list[str]:
        self._text += piece
        done: list[str] = []
        start = 0
        for stop in _END.finditer(self._text):
            if not _ends_sentence(self._text[start : stop.start()]):
                continue
            sentence = self._text[start : stop.end()].strip()
            if sentence:
                done.append(sentence)
            start = stop.end()
        rest = self._text[start:]
        if len(rest) > LONG:
            cuts = list(_CLAUSE.finditer(rest))
            if cuts:
                cut = cuts[-1]
                done.append(rest[: cut.end()].strip())
                rest = rest[cut.end() :]
        self._text = rest
        return done

    def end(self) -> list[str]:
        """What is left when the reply is over (a last sentence without its full stop)."""
        rest, self._text = self._text.strip(), ""
        return [rest] if rest else []


def split(text: str) -> list[str]:
    """A whole reply's sentences."""
    stream = Sentences()
    return stream.feed(text) + stream.end()
