"""Bulk validation: a file of numbers in, each row's verdict out, streamed.

The file is CSV with a header naming the number column (``number``, ``phone``, ``e164``... or
the column asked for), or plain text with one number per line. It is read as it arrives: bytes
are decoded incrementally (UTF-8, a byte-order mark dropped, undecodable bytes replaced), split
into lines and judged one line at a time, so a file of any size needs memory for one chunk.
A row that is not a number gets a verdict saying why, never an exception; a CSV record must fit
on one line (a quoted field spanning lines is judged line by line).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

import phonenumbers

from ringfence.errors import InvalidInput
from ringfence.services.numbers.describe import describe

CHUNK = 1 << 16  # bytes read at a time from a file being checked
MAX_LINE = 1024  # characters; a longer line is one malformed row
MAX_NUMBER = 64  # characters, as for a single check
NUMBER_COLUMNS = ("number", "phone", "phone_number", "telephone", "tel", "mobile", "e164", "msisdn")
OUTPUT_FORMATS = ("csv", "jsonl")
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection); a value of
# dialling characters only is left alone (``+44 20 7946 0123`` is at worst arithmetic).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DIALLING = frozenset("+0123456789 ()-./")


@dataclass(frozen=True)
class Verdict:
    line: int  # 1-based line of the input file
    input: str  # the value as read (cut to MAX_NUMBER characters)
    valid: bool
    possible: bool
    type: str
    region: str | None
    e164: str | None
    international: str | None
    national: str | None
    fictional: bool
    error: str | None  # why the row is not a number at all; None when it parsed


COLUMNS = tuple(Verdict.__dataclass_fields__)


def verdict(line: int, value: str, region: str | None) -> Verdict:
    """What ``value`` is: a number libphonenumber can parse, or why not."""
    value = value.strip()
    shown = value[:MAX_NUMBER]
    if len(value) > MAX_NUMBER:
        return _malformed(line, shown, f"longer than {MAX_NUMBER} characters")
    if not value:
        return _malformed(line, shown, "empty")
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        return _malformed(line, shown, f"not a phone number: {exc._msg}")
    info = describe(number)
    return Verdict(
        line=line,
        input=shown,
        valid=info.valid,
        possible=info.possible,
        type=info.type,
        region=info.region,
        e164=info.e164,
        international=info.international,
        national=info.national,
        fictional=info.fictional,
        error=None,
    )


def _malformed(line: int, shown: str, error: str) -> Verdict:
    return Verdict(line, shown, False, False, "unknown", None, None, None, None, False, error)


class Checker:
    """Judges a file fed in chunks of bytes: ``feed`` each chunk, then ``finish``."""

    def __init__(self, region: str | None = None, column: str | None = None) -> None:
        self.region = _region(region)
        self.column = column.strip().lower() if column else None
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._partial = ""
        self._skipping = False  # inside a line already reported as too long
        self._line = 0
        self._index: int | None = None  # CSV: the number column; None: plain text
        self.started = False  # the first line was read and the file's kind decided

    def feed(self, data: bytes) -> list[Verdict]:
        return self._text(self._decoder.decode(data))

    def finish(self) -> list[Verdict]:
        out = self._text(self._decoder.decode(b"", final=True))
        if self._partial and not self._skipping:
            out += self._judge(self._partial)
        self._partial = ""
        return out

    def _text(self, text: str) -> list[Verdict]:
        out: list[Verdict] = []
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            if self._skipping:
                self._skipping = False
                continue
            out += self._judge(line)
        if len(self._partial) > MAX_LINE and not self._skipping:
            self._line += 1
            out.append(_malformed(self._line, self._partial[:MAX_NUMBER], "line too long"))
            self._partial = ""
            self._skipping = True
        elif self._skipping:
            self._partial = ""
        return out

    def _judge(self, raw: str) -> list[Verdict]:
        self._line += 1
        line = raw.rstrip("\r")
        if len(line) > MAX_LINE:
            return [_malformed(self._line, line[:MAX_NUMBER], "line too long")]
        if not self.started:
            self.started = True
            if self._header(line):
                return []
        if not line.strip() or line.lstrip().startswith("#"):
            return []
        if self._index is None:
            return [verdict(self._line, line, self.region)]
        fields = next(csv.reader([line]), [])
        if self._index >= len(fields):
            return [_malformed(self._line, line[:MAX_NUMBER], "no number column in this row")]
        return [verdict(self._line, fields[self._index], self.region)]

    def _header(self, line: str) -> bool:
        """Whether the first line is a header; sets the number column of a CSV file."""
        names = [n.strip().lower() for n in next(csv.reader([line]), [])]
        if self.column is not None:
            if self.column not in names:
                raise InvalidInput(
                    f"no column {self.column!r} in the file's first line; its columns: "
                    + ", ".join(names)[:200]
                )
            self._index = names.index(self.column)
            return True
        found = next((names.index(n) for n in NUMBER_COLUMNS if n in names), None)
        if found is not None:
            self._index = found if len(names) > 1 else None
            return True
        if len(names) > 1:
            raise InvalidInput(
                "a CSV file needs a header naming its number column ("
                + ", ".join(NUMBER_COLUMNS)
                + "), or the column to read given as column"
            )
        return False


def _region(region: str | None) -> str | None:
    if not region:
        return None
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(f"unknown region {region!r}; give an ISO 3166 code such as GB or US")
    return code


def check_output(fmt: str) -> str:
    if fmt not in OUTPUT_FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; accepted: {', '.join(OUTPUT_FORMATS)}")
    return fmt


def header(fmt: str) -> bytes:
    return (",".join(COLUMNS) + "\n").encode() if fmt == "csv" else b""


def rows(verdicts: Iterable[Verdict], fmt: str) -> bytes:
    """The verdicts as CSV rows (no header) or JSON lines."""
    if fmt == "jsonl":
        return "".join(json.dumps(asdict(v), ensure_ascii=False) + "\n" for v in verdicts).encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for v in verdicts:
        values = asdict(v)
        if v.input.startswith(FORMULA_STARTS) and not DIALLING.issuperset(v.input):
            values["input"] = "'" + v.input  # shown as text, never run as a formula
        writer.writerow(
            ("true" if x else "false") if isinstance(x, bool) else x for x in values.values()
        )
    return buffer.getvalue().encode()


def check_stream(
    chunks: Iterable[bytes], fmt: str, region: str | None, column: str | None
) -> Iterator[bytes]:
    """The whole pipeline for a synchronous source (the CLI): header, then rows per chunk."""
    checker = Checker(region, column)
    check_output(fmt)
    yield header(fmt)
    for chunk in chunks:
        yield rows(checker.feed(chunk), fmt)
    yield rows(checker.finish(), fmt)
