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
BRIEF_COLUMNS = ("e164", "region", "type", "fictional", "reserved_by")
FULL_COLUMNS = tuple(NumberInfo.__dataclass_fields__)

MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson", "txt": "text/plain"}


def _tail(fmt: Format, region: bytes, number_type: int, flag: str, reserved_by: str) -> bytes:
    """What a row holds after its number."""
    name = TYPE_NAMES.get(number_type, "unknown")
    place = region.decode()
    if fmt == "csv":
        return f",{place},{name},{flag},{reserved_by}\n".encode()
    by = json.dumps(reserved_by or None)
    return (
        f'","region":"{place}","type":"{name}","fictional":{flag},"reserved_by":{by}}}\n'
    ).encode()


def brief(
    batches: Iterable[NumberBatch],
    fmt: Format,
    fictional: bool,
    column: str = "e164",
    reserved_by: str = "",
) -> Iterator[bytes]:
    """Numbers with each number's own region and type, the fiction flag and the regulator that
    reserves them (the fast path: rows are joined as bytes, a batch of one region and type with
    one constant separator).

    ``column`` names the numbers' format (``formats.NUMBER_FORMATS``); none of libphonenumber's
    formats writes a comma, a quote or a backslash, so the numbers need no escaping.
    """
    if fmt == "txt":
        for batch in batches:
            yield b"\n".join(batch.e164.tolist()) + b"\n"
        return
    if fmt == "csv":
        yield (",".join((column, *BRIEF_COLUMNS[1:])) + "\n").encode()
    head = b"" if fmt == "csv" else f'{{"{column}":"'.encode()
    flag = "true" if fictional else "false"
    tails: dict[tuple[bytes, int], bytes] = {}

    def tail(region: bytes, number_type: int) -> bytes:
        found = tails.get((region, number_type))
        if found is None:
            found = tails[(region, number_type)] = _tail(
                fmt, region, number_type, flag, reserved_by
            )
        return found

    for batch in batches:
        types, regions = batch.types, batch.regions
        if not len(types):
            continue
        if types.min() == types.max() and bool((regions == regions[0]).all()):
            end = tail(bytes(regions[0]), int(types[0]))
            yield head + (end + head).join(batch.e164.tolist()) + end
            continue
        places, place_index = np.unique(regions, return_inverse=True)
        labels, label_index = np.unique(
            place_index.astype(np.int64) * 256 + types, return_inverse=True
        )
        ends = np.array(
            [tail(bytes(places[label // 256]), int(label % 256)) for label in labels.tolist()],
            dtype="S",
        )
        yield head + head.join(np.char.add(batch.e164, ends[label_index]).tolist())


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
