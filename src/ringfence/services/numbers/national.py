"""National format (``020 7946 0321``) at a fraction of ``phonenumbers.format_number``'s cost.

libphonenumber writes a number with the first format of its country's main region whose last
``leading_digits_pattern`` matches the start of the national significant number and whose
``pattern`` matches all of it. Where every pattern is digits of given widths only
(``(\\d{3})(\\d{4})``), the pattern's test depends on the length alone, and the leading-digits
tests on a prefix: compiled to automata (``automaton``), a prefix decides a test when every
number starting with it matches, or none does. So the format is known from the length and the
shortest prefix deciding every test up to the chosen format; the first number written with a
format is formatted by phonenumbers and kept as a template (its digits as slots) for the others
of its length. Elsewhere (another pattern, or a written form that is not the number's digits in
order), every number is written by phonenumbers. At most ``PREFIXES`` decisions are kept.
"""

from __future__ import annotations

import re
from functools import cache
from re import _parser as sre_parse

import numpy as np
import phonenumbers
from phonenumbers import PhoneMetadata

from ringfence.services.numbers.automaton import DFA, compile_pattern

PREFIXES = 65_536
_DIGITS_ONLY = re.compile(r"(?:\(|\)|\\d(?:\{\d+(?:,\d*)?\})?)*")
_UNDECIDED = -2  # the prefix does not decide the format: look at a longer one
_NO_FORMAT = -1  # phonenumbers writes the digits as they are


class _Formats:
    """One country code's formats: the lengths each pattern takes, the leading-digits automata."""

    def __init__(self, metadata: PhoneMetadata) -> None:
        self.lengths: list[tuple[int, int]] = []
        self.leading: list[DFA | None] = []
        for number_format in metadata.number_format:
            low, high = sre_parse.parse(number_format.pattern).getwidth()
            self.lengths.append((low, high))
            lead = number_format.leading_digits_pattern
            self.leading.append(DFA(compile_pattern(lead[-1], prefix=True)) if lead else None)

    def decide(self, prefix: str, length: int) -> int:
        """The index of the format of every number of ``length`` digits starting with ``prefix``,
        ``_NO_FORMAT``, or ``_UNDECIDED``."""
        for index, ((low, high), dfa) in enumerate(zip(self.lengths, self.leading, strict=True)):
            if not low <= length <= high:
                continue
            if dfa is None:
                return index
            state = dfa.start
            for char in prefix:
                state = dfa.step(state, int(char))
                if not state or dfa.accepts(state):
                    break
            if dfa.accepts(state):
                return index
            if state and len(prefix) < length:
                return _UNDECIDED  # some numbers with this prefix match, others may not
        return _NO_FORMAT


@cache
def _formats(country_code: int) -> _Formats | None:
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None or not all(
        _DIGITS_ONLY.fullmatch(f.pattern or "") for f in metadata.number_format
    ):
        return None
    return _Formats(metadata)


class NationalWriter:
    """Writes E.164 numbers of one country code in national format."""

    def __init__(self, country_code: int) -> None:
        self._skip = len(str(country_code)) + 1
        self._formats = _formats(country_code)
        self._decided: dict[tuple[int, str], int] = {}
        self._templates: dict[tuple[int, int], str | None] = {}

    def _index(self, nsn: str) -> int:
        """The format of ``nsn``, from the shortest prefix that decides it."""
        assert self._formats is not None
        length = len(nsn)
        for k in range(length + 1):
            index = self._decide(length, nsn[:k])
            if index != _UNDECIDED:
                return index
        return _NO_FORMAT

    def _decide(self, length: int, prefix: str) -> int:
        assert self._formats is not None
        key = (length, prefix)
        found = self._decided.get(key)
        if found is None:
            if len(self._decided) >= PREFIXES:
                self._decided.clear()
            found = self._decided[key] = self._formats.decide(prefix, length)
        return found

    def _template_for(self, length: int, index: int, e164: str) -> str | None:
        key = (length, index)
        if key not in self._templates:
            self._templates[key] = _template(_phonenumbers(e164), e164[self._skip :])
        return self._templates[key]

    def __call__(self, e164: str) -> str:
        if self._formats is None:
            return _phonenumbers(e164)
        nsn = e164[self._skip :]
        template = self._template_for(len(nsn), self._index(nsn), e164)
        return template.format(*nsn) if template else _phonenumbers(e164)

    def batch(self, batch: np.ndarray) -> list[str]:
        """A batch of E.164 numbers (dtype ``S``), written: the numbers of one length and format
        are filled into their template together."""
        numbers = [b.decode() for b in batch.tolist()]
        if self._formats is None or not numbers:
            return [_phonenumbers(e164) for e164 in numbers]
        width = batch.dtype.itemsize
        rows = batch.view(np.uint8).reshape(len(numbers), width)
        lengths = np.count_nonzero(rows, axis=1) - self._skip
        indexes = np.full(len(numbers), _UNDECIDED, dtype=np.int64)
        undecided = np.arange(len(numbers))
        for k in range(int(lengths.max()) + 1):
            if not len(undecided):
                break
            digits = rows[undecided, self._skip : self._skip + k].astype(np.int64) - 48
            values = digits @ (10 ** np.arange(k - 1, -1, -1, dtype=np.int64))
            keys = values * 32 + lengths[undecided]  # national lengths are below 32
            unique, inverse = np.unique(keys, return_inverse=True)
            found = np.array(
                [
                    self._decide(key % 32, f"{key // 32:0{k}d}" if k else "")
                    if k <= key % 32
                    else _NO_FORMAT
                    for key in unique.tolist()
                ],
                dtype=np.int64,
            )
            indexes[undecided] = found[inverse.ravel()]
            undecided = undecided[indexes[undecided] == _UNDECIDED]
        out: list[str] = numbers
        groups = (indexes + 2) * 32 + lengths
        unique, inverse = np.unique(groups, return_inverse=True)
        inverse = inverse.ravel()
        for group, code in enumerate(unique.tolist()):
            length, index = code % 32, code // 32 - 2
            members = np.flatnonzero(inverse == group)
            exemplar = numbers[members[0]]
            template = self._template_for(length, index, exemplar)
            if not template:
                for i in members.tolist():
                    out[i] = _phonenumbers(numbers[i])
                continue
            shape = np.frombuffer(template.replace("{}", "0").encode(), dtype=np.uint8)
            slots = np.flatnonzero(
                np.frombuffer(template.replace("{}", "\0").encode(), np.uint8) == 0
            )
            written = np.tile(shape, (len(members), 1))
            written[:, slots] = rows[members, self._skip : self._skip + length]
            texts = written.view(f"S{len(shape)}").ravel().tolist()
            for i, text in zip(members.tolist(), texts, strict=True):
                out[i] = text.decode()
        return out


def _phonenumbers(e164: str) -> str:
    return phonenumbers.format_number(
        phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.NATIONAL
    )


def _template(written: str, nsn: str) -> str | None:
    """``written`` with ``nsn``'s digits as ``{}`` slots, or None if they are not its last
    digits in order."""
    positions = [i for i, c in enumerate(written) if c.isdigit()]
    if len(positions) < len(nsn) or "{" in written or "}" in written:
        return None
    slots = positions[len(positions) - len(nsn) :]
    if "".join(written[i] for i in slots) != nsn:
        return None
    chars = list(written)
    for i in slots:
        chars[i] = "{}"
    return "".join(chars)
