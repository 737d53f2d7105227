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
from ringfence.services.numbers.kinds import TYPE_NAMES
from ringfence.services.numbers.service import NumberBatch

Format = Literal["csv", "jsonl", "txt"]
FORMATS: tuple[str, ...] = ("csv", "jsonl", "txt")
BRIEF_COLUMNS = ("e164", "region", "type", "fictional")
FULL_COLUMNS = tuple(NumberInfo.__dataclass_fields__)

MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson", "txt": "text/plain"}


def _row_parts(fmt: Format, region: str, flag: str) -> dict[int, tuple[str, str]]:
    """Per type code: what a row holds before its number and after it."""
    out = {}
    for code, name in TYPE_NAMES.items():
        if fmt == "csv":
            out[code] = ("", f",{region},{name},{flag}\n")
        else:
            out[code] = (
                '{"e164":"',
                f'","region":"{region}","type":"{name}","fictional":{flag}}}\n',
            )
    return out


def brief(
    batches: Iterable[NumberBatch], fmt: Format, region: str, fictional: bool
) -> Iterator[bytes]:
    """E.164 numbers with the request's region, each number's own type and the fiction flag (the
    fast path: a batch of one type, the common case, is joined without a step per number)."""
    if fmt == "txt":
        for batch in batches:
            yield ("\n".join(batch.numbers) + "\n").encode()
        return
    if fmt == "csv":
        yield (",".join(BRIEF_COLUMNS) + "\n").encode()
    parts = _row_parts(fmt, region, "true" if fictional else "false")
    for batch in batches:
        types = batch.types
        if not len(types):
            continue
        if types.min() == types.max():
            head, tail = parts[int(types[0])]
            yield (head + (tail + head).join(batch.numbers) + tail).encode()
            continue
        rows = (parts[code] for code in types.tolist())
        yield "".join(
            head + n + tail for n, (head, tail) in zip(batch.numbers, rows, strict=True)
        ).encode()


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
