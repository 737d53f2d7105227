"""Streaming serialisations of generated numbers: CSV, JSON lines, plain lines.

Every writer yields ``bytes`` chunks, one per batch, so a download or a file of any size is
written without holding more than one batch in memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Literal

from ringfence.services.numbers.describe import NumberInfo

Format = Literal["csv", "jsonl", "txt"]
FORMATS: tuple[str, ...] = ("csv", "jsonl", "txt")
BRIEF_COLUMNS = ("e164", "region", "type", "fictional")
FULL_COLUMNS = tuple(NumberInfo.__dataclass_fields__)

MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson", "txt": "text/plain"}


def brief(
    batches: Iterable[list[str]],
    fmt: Format,
    region: str,
    kind: str,
    fictional: bool,
    column: str = "e164",
) -> Iterator[bytes]:
    """Numbers with the request's region, type and fiction flag (the fast path).

    ``column`` names the numbers' format (``formats.NUMBER_FORMATS``); none of libphonenumber's
    formats writes a comma, a quote or a backslash, so the numbers need no escaping.
    """
    flag = "true" if fictional else "false"
    if fmt == "csv":
        yield (",".join((column, *BRIEF_COLUMNS[1:])) + "\n").encode()
        tail = f",{region},{kind},{flag}\n"
        for batch in batches:
            yield (tail.join(batch) + tail).encode()
    elif fmt == "jsonl":
        for batch in batches:
            yield "".join(
                f'{{"{column}":"{n}","region":"{region}","type":"{kind}","fictional":{flag}}}\n'
                for n in batch
            ).encode()
    else:
        for batch in batches:
            yield ("\n".join(batch) + "\n").encode()


def full(infos: Iterable[list[NumberInfo]], fmt: Format) -> Iterator[bytes]:
    """Every format and flag of each number (slower: each number goes through phonenumbers)."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(FULL_COLUMNS)
        for batch in infos:
            writer.writerows([getattr(info, column) for column in FULL_COLUMNS] for info in batch)
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    elif fmt == "jsonl":
        for batch in infos:
            yield "".join(json.dumps(info.to_dict()) + "\n" for info in batch).encode()
    else:
        for batch in infos:
            yield "".join(info.e164 + "\n" for info in batch).encode()
