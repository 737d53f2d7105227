"""Bulk validation: a file read in chunks of any size gives one verdict per row."""

from __future__ import annotations

import csv
import io
import json

import pytest

from ringfence.errors import InvalidInput
from ringfence.services.numbers.validation import COLUMNS, Checker, check_stream

CSV_FILE = (
    "\ufeffname,Phone,notes\n"
    'ann,+44 20 7946 0123,"a, b"\n'
    "bob,020 7946 0124,\n"
    'cat,=HYPERLINK("http://x"),\n'
    "dan\n"
    "eve,+1 800 555 0199,\n"
    "fay,07700 900123\r\n"
    "gus,hello"
).encode()


def _run(data: bytes, chunk: int, fmt: str = "csv", **kw: str | None) -> bytes:
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    return b"".join(check_stream(pieces, fmt, kw.get("region"), kw.get("column")))


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 16])
def test_csv_verdicts_do_not_depend_on_chunking(chunk: int) -> None:
    out = _run(CSV_FILE, chunk, region="GB")
    assert out == _run(CSV_FILE, 1 << 16, region="GB")
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    assert tuple(rows[0]) == COLUMNS
    by_line = {int(r["line"]): r for r in rows}
    assert sorted(by_line) == [2, 3, 4, 5, 6, 7, 8]
    assert by_line[2]["valid"] == "true" and by_line[2]["e164"] == "+442079460123"
    assert by_line[2]["fictional"] == "true" and by_line[2]["region"] == "GB"
    assert by_line[3]["international"] == "+44 20 7946 0124"
    assert by_line[4]["input"].startswith("'=HYPERLINK")  # never a live formula
    assert by_line[4]["error"].startswith("not a phone number")
    assert by_line[5]["error"] == "no number column in this row"
    assert by_line[6]["type"] == "toll_free" and by_line[6]["region"] == "US"
    assert by_line[7]["input"] == "07700 900123" and by_line[7]["fictional"] == "true"
    assert by_line[8]["valid"] == "false" and by_line[8]["error"]


def test_plain_text_jsonl_and_bad_bytes() -> None:
    data = (
        b"+14155550100\nnot a number\n\n# a comment\n\xff\xfe\n" + b"9" * 5000 + b"\n+4930 1234567"
    )
    lines = [json.loads(x) for x in _run(data, 5, fmt="jsonl").decode().splitlines()]
    assert [x["line"] for x in lines] == [1, 2, 5, 6, 7]
    assert lines[0]["valid"] and lines[0]["type"] == "fixed_line_or_mobile"
    assert lines[1]["error"].startswith("not a phone number") and not lines[1]["valid"]
    assert lines[2]["error"]  # replacement characters, not a crash
    assert lines[3]["error"] == "line too long" and len(lines[3]["input"]) == 64
    assert lines[4]["e164"] == "+49301234567"
    # A national number without a region is a per-row verdict too.
    (row,) = [json.loads(x) for x in _run(b"020 7946 0123", 4, fmt="jsonl").splitlines()]
    assert row["error"] and not row["valid"]


def test_a_one_column_csv_and_a_named_column() -> None:
    rows = _run(b"number\n+442079460123\n", 3).decode().splitlines()
    assert len(rows) == 2 and rows[1].startswith("2,+442079460123,true")
    named = _run(b"a,b\n1,+442079460123\n", 2, column="B").decode().splitlines()
    assert named[1].startswith("2,+442079460123,true")


@pytest.mark.parametrize(
    ("data", "kw", "fragment"),
    [
        (b"a,b\n1,2\n", {}, "needs a header naming its number column"),
        (b"a,b\n1,2\n", {"column": "phone"}, "no column 'phone'"),
        (b"+44\n", {"region": "XX"}, "unknown region 'XX'"),
    ],
)
def test_what_cannot_be_read_is_refused_up_front(
    data: bytes, kw: dict[str, str], fragment: str
) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        _run(data, 1, **kw)


def test_a_line_without_end_is_judged_once_it_is_too_long() -> None:
    checker = Checker()
    (too_long,) = checker.feed(b"1" * 100_000)  # judged now, not held until the file ends
    assert too_long.error == "line too long" and too_long.line == 1
    assert checker.feed(b"2" * 100_000 + b"\n+442079460123\n")[0].e164 == "+442079460123"
    assert checker.finish() == []
