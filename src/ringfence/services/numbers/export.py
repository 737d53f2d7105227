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

import numpy as np

from ringfence.services.numbers.describe import NumberInfo
from ringfence.services.numbers.kinds import TYPE_NAMES
from ringfence.services.numbers.service import NumberBatch

Format = Literal["csv", "jsonl", "txt"]
FORMATS: tuple[str, ...] = ("csv", "jsonl", "txt")
BRIEF_COLUMNS = ("e164", "region", "type", "fictional")
FULL_COLUMNS = tuple(NumberInfo.__dataclass_fields__)

MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson", "txt": "text/plain"}


def _row_parts(fmt: Format, region: str, flag: str, column: str) -> tuple[bytes, np.ndarray]:
    """What a row holds before its number, and after it, per type code (``S`` array index)."""
    tails = [b""] * (max(TYPE_NAMES) + 1)
    for code, name in TYPE_NAMES.items():
        if fmt == "csv":
            tails[code] = f",{region},{name},{flag}\n".encode()
        else:
            tails[code] = f'","region":"{region}","type":"{name}","fictional":{flag}}}\n'.encode()
    return (b"" if fmt == "csv" else f'{{"{column}":"'.encode()), np.array(tails, dtype="S")


def brief(
    batches: Iterable[NumberBatch],
    fmt: Format,
    region: str,
    fictional: bool,
    column: str = "e164",
) -> Iterator[bytes]:
    """Numbers with the request's region, each number's own type and the fiction flag (the fast
    path: rows are joined as bytes, a batch of one type with one constant separator).

    ``column`` names the numbers' format (``formats.NUMBER_FORMATS``); none of libphonenumber's
    formats writes a comma, a quote or a backslash, so the numbers need no escaping.
    """
    if fmt == "txt":
        for batch in batches:
            yield b"\n".join(batch.e164.tolist()) + b"\n"
        return
    if fmt == "csv":
        yield (",".join((column, *BRIEF_COLUMNS[1:])) + "\n").encode()
    head, tails = _row_parts(fmt, region, "true" if fictional else "false", column)
    for batch in batches:
        types = batch.types
        if not len(types):
            continue
        if types.min() == types.max():
            tail = bytes(tails[types[0]])
            yield head + (tail + head).join(batch.e164.tolist()) + tail
        else:
            yield head + head.join(np.char.add(batch.e164, tails[types]).tolist())


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
