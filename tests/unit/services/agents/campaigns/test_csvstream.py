"""CSV records from a byte stream: cut anywhere, even inside a character or a quoted field that
spans lines, they come out whole; what is not UTF-8 CSV is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ringfence.errors import InvalidInput
from ringfence.services.agents.campaigns.csvstream import MAX_RECORD, csv_records, from_text

TEXT = (
    'name,number,note\r\nAnna,+441632960001,"line one\nline two"\nZoë,+441632960002,"a ""quote"""\n'
)
ROWS = [
    ["name", "number", "note"],
    ["Anna", "+441632960001", "line one\nline two"],
    ["Zoë", "+441632960002", 'a "quote"'],
]


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _read(data: bytes, size: int) -> list[list[str]]:
    return [record async for record in csv_records(_chunks(data, size))]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 10_000])
async def test_records_come_out_whole_however_the_stream_is_cut(size: int) -> None:
    assert await _read(TEXT.encode(), size) == ROWS


async def test_a_byte_order_mark_is_dropped_and_a_last_line_needs_no_break() -> None:
    data = "\ufeffname,number\nAnna,+441632960001".encode()
    assert await _read(data, 5) == [["name", "number"], ["Anna", "+441632960001"]]


async def test_an_empty_line_is_an_empty_record_and_trailing_space_none() -> None:
    assert await _read(b"a,b\n\n", 4) == [["a", "b"], []]
    assert await _read(b"a,b\n   ", 4) == [["a", "b"]]


async def test_text_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not UTF-8"):
        await _read("name\nZoë\n".encode("latin-1"), 3)


async def test_an_endless_record_is_refused() -> None:
    unclosed = b'"' + b"x" * (MAX_RECORD + 10)  # a quote never closed: one record forever
    with pytest.raises(InvalidInput, match="longer than 64 kB"):
        await _read(unclosed, 4096)


def test_one_record_from_text() -> None:
    assert from_text('a,"b,c"') == ["a", "b,c"]
    assert from_text("") == []
