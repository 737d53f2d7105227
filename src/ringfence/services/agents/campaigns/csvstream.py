"""CSV records from a byte stream, holding at most one unfinished record in memory.

An upload arrives in chunks; each chunk is decoded incrementally (UTF-8, a byte-order mark
dropped) and cut after the last line break that is outside quotes, so a quoted field may span
lines and a chunk may end anywhere, even inside a character.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import AsyncIterator

from ringfence.errors import InvalidInput

MAX_RECORD = 64 * 1024  # characters of one unfinished record: beyond it the file is not CSV


def _complete(text: str) -> int:
    """Where the complete records in ``text`` end (after the last unquoted line break)."""
    quoted = False
    cut = 0
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "\n" and not quoted:
            cut = i + 1
    return cut


async def csv_records(chunks: AsyncIterator[bytes]) -> AsyncIterator[list[str]]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    try:
        async for chunk in chunks:
            pending += decoder.decode(chunk)
            cut = _complete(pending)
            if cut:
                for record in csv.reader(io.StringIO(pending[:cut])):
                    yield record
                pending = pending[cut:]
            if len(pending) > MAX_RECORD:
                raise InvalidInput("a CSV record is longer than 64 kB: is this a CSV file?")
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text") from None
    if pending.strip():
        yield from_text(pending)


def from_text(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text)), [])
