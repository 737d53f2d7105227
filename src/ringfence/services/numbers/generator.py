"""Random phone numbers: valid by construction, or reserved for fiction.

``NumberGenerator`` draws bulk E.164 numbers from a seedable NumPy generator, whole blocks at a
time, without holding more than one batch in memory. Single numbers come from the same path: a
buffer per request, filled in bulk and handed out one by one (``buffers``), so a seed gives the
same numbers for the same sequence of requests. ``e164_unbuffered`` draws one number from the
seedable ``random.Random`` (what the Faker provider uses when its calls are mixed with others).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import numpy as np
import phonenumbers
from phonenumbers import PhoneNumberType

from ringfence.services.numbers.buffers import LARGEST, Buffers, as_e164, draw
from ringfence.services.numbers.fiction import (
    NANP_REGIONS,
    FictionalRange,
    fiction_regions,
    ranges_for,
)
from ringfence.services.numbers.kinds import TYPE_CODES
from ringfence.services.numbers.prefixes import restrict_ranges, restrict_tables
from ringfence.services.numbers.tables import (
    LengthTable,
    NoSuchNumbers,
    NumberTable,
    kinds_for,
    region_of,
    table_for,
)

DEFAULT_KINDS = ("mobile", "fixed_line")
BATCH = 65_536


class NoFictionalRange(NoSuchNumbers):
    """Fiction mode was asked for a region or type that has no reserved range."""


@dataclass(frozen=True)
class Request:
    region: str
    kind: str | None = None  # None: mobile or fixed line, whichever the region has
    safe: bool = False
    prefix: str = ""  # digits the national significant number starts with ("": any)


def _kind_matches(rng_: FictionalRange, kind: str | None) -> bool:
    if kind is None or rng_.kind == kind:
        return True
    # NANP numbers do not tell fixed lines from mobiles: 555-01XX stands for both.
    return rng_.region in NANP_REGIONS and kind in DEFAULT_KINDS and rng_.kind == "fixed_line"


def fictional_ranges(region: str, kind: str | None) -> list[FictionalRange]:
    found = [r for r in ranges_for(region) if _kind_matches(r, kind)]
    if not found:
        what = f"{kind.replace('_', ' ')} " if kind else ""
        known = ", ".join(fiction_regions())
        raise NoFictionalRange(
            f"no {what}range reserved for fiction is known for {region}; fiction mode will not "
            f"return a number that may belong to someone (regions with ranges: {known})"
        )
    return found


class NumberGenerator:
    def __init__(self, seed: int | None = None, *, rng: random.Random | None = None) -> None:
        """``rng`` lends an existing source of randomness (Faker's) to single draws."""
        self.random = rng or random.Random(seed)
        self.numpy = np.random.default_rng(seed)
        self._singles = Buffers()

    # -- one at a time -------------------------------------------------------------------------

    def _tables(self, request: Request) -> list[NumberTable]:
        tables = self._kind_tables(request)
        return restrict_tables(tables, request.region, request.kind, request.prefix)

    def _ranges(self, request: Request) -> list[FictionalRange]:
        ranges = fictional_ranges(request.region, request.kind)
        return restrict_ranges(ranges, request.region, request.kind, request.prefix)

    def _kind_tables(self, request: Request) -> list[NumberTable]:
        if request.kind is not None:
            return [table_for(request.region, request.kind)]
        kinds = [k for k in DEFAULT_KINDS if k in kinds_for(request.region)]
        tables = []
        for kind in kinds:
            try:
                tables.append(table_for(request.region, kind))
            except NoSuchNumbers:
                continue
        if not tables:
            raise NoSuchNumbers(f"{request.region} has no mobile or fixed-line numbers")
        return tables

    def e164(self, request: Request) -> str:
        """One number in E.164, from the request's buffer (refilled in bulk, twice as large each
        time up to ``buffers.LARGEST``)."""
        last = self._singles.last
        # The same request object as the last call's: its buffer without a call or a hash.
        buffer = last[1] if last is not None and last[0] is request else self._singles.get(request)
        index = buffer.next
        if index < len(buffer.numbers):
            buffer.next = index + 1
            return buffer.numbers[index]
        return self._next(request, 0)

    def _next(self, request: Request, wanted: int) -> str:
        buffer = self._singles.get(request)
        if buffer.next == len(buffer.numbers):
            buffer.size = min(max(buffer.size * 2, wanted), LARGEST)
            buffer.numbers = draw(self, request, buffer.size, as_e164)
            buffer.next = 0
        buffer.next += 1
        return buffer.numbers[buffer.next - 1]

    def e164_unbuffered(self, request: Request) -> str:
        """One number in E.164 from ``self.random``, nothing drawn ahead."""
        if request.safe:
            ranges = self._ranges(request)
            chosen = self.random.choices(ranges, weights=[r.size for r in ranges])[0]
            cc = phonenumbers.country_code_for_region(request.region)
            return f"+{cc}{chosen.draw(self.random)}"
        tables = self._tables(request)
        table = tables[self.random.randrange(len(tables))]
        return f"+{table.country_code}{table.draw_nsn(self.random)}"

    def numbers(self, request: Request, count: int) -> Iterator[str]:
        """``count`` single numbers; the first refill draws about as many as asked (no more
        than ``buffers.LARGEST``), so a small batch does not pay for a large buffer."""
        for left in range(count, 0, -1):
            yield self._next(request, left)

    # -- in bulk -------------------------------------------------------------------------------

    def bulk(self, request: Request, count: int, batch: int = BATCH) -> Iterator[np.ndarray]:
        """E.164 numbers in batches, each an array of ``bytes`` (dtype ``S``)."""
        for numbers, _, _ in self.bulk_typed(request, count, batch):
            yield numbers

    def bulk_typed(
        self, request: Request, count: int, batch: int = BATCH
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Batches of E.164 numbers (dtype ``S``) with each number's own type and region: the
        ``phonenumbers.PhoneNumberType`` that ``number_type`` reports for it (dtype ``uint8``)
        and the region ``region_code_for_number`` names (dtype ``S3``; the requested region for
        a fiction number libphonenumber cannot place); for a fiction number libphonenumber does
        not know, the type of its reserved range."""
        if request.safe:
            yield from self._bulk_fiction(request, count, batch)
            return
        tables = self._tables(request)
        left = count
        while left > 0:
            n = min(batch, left)
            left -= n
            share = self.numpy.multinomial(n, [1 / len(tables)] * len(tables))
            parts = [
                part
                for table, k in zip(tables, share, strict=True)
                if k
                for part in self._bulk_table(table, int(k))
            ]
            if len(parts) == 1:
                yield parts[0]  # one table, one length, one type: nothing to mix
                continue
            # One permutation mixes the lengths and tables, the numbers and their labels alike.
            order = self.numpy.permutation(n)
            yield (
                np.concatenate([p[0] for p in parts])[order],
                np.concatenate([p[1] for p in parts])[order],
                np.concatenate([p[2] for p in parts])[order],
            )

    def _bulk_table(
        self, table: NumberTable, n: int
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``n`` numbers of one table, their types and regions, in parts of one length table
        each (unmixed)."""
        prefix = f"+{table.country_code}".encode()
        per_length = self.numpy.multinomial(n, table.shares)
        width = len(prefix) + max(t.length for t in table.lengths)
        parts = []
        for length_table, k in zip(table.lengths, per_length, strict=True):
            if not k:
                continue
            digits, kinds, regions = self._verified(table, length_table, int(k))
            rows = np.zeros((int(k), width), dtype=np.uint8)
            rows[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
            rows[:, len(prefix) : len(prefix) + length_table.length] = digits
            parts.append((rows.view(f"S{width}").ravel(), kinds, regions))
        return parts

    def _verified(
        self, table: NumberTable, length_table: LengthTable, n: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        digits = length_table.draw_many(self.numpy, n)
        if not table.checked:
            return (
                digits,
                np.full(n, length_table.number_type, dtype=np.uint8),
                np.full(n, length_table.region, dtype="S3"),
            )
        # A table not trusted by construction: keep only what phonenumbers accepts, draw again.
        shared = len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[table.country_code]) > 1
        kept: list[np.ndarray] = []
        kept_types: list[int] = []
        kept_regions: list[str] = []
        have = 0
        for _ in range(10_000):
            nsns = [row.tobytes().decode() for row in digits]
            found = [table.type_of(nsn) for nsn in nsns]
            ok = np.array([t is not None for t in found], dtype=bool)
            kept.append(digits[ok])
            for nsn, own in zip(nsns, found, strict=True):
                if own is not None:
                    kept_types.append(own)
                    place = region_of(table.country_code, nsn) if shared else None
                    kept_regions.append(place or table.region)
            have += int(ok.sum())
            if have >= n:
                return (
                    np.concatenate(kept)[:n],
                    np.array(kept_types[:n], dtype=np.uint8),
                    np.array(kept_regions[:n], dtype="S3"),
                )
            digits = length_table.draw_many(self.numpy, max(n - have, 16))
        raise NoSuchNumbers(f"{table.region} {table.kind}: no valid number found")

    def _bulk_fiction(
        self, request: Request, count: int, batch: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        ranges = self._ranges(request)
        cc = phonenumbers.country_code_for_region(request.region)
        sizes = np.array([r.size for r in ranges], dtype=np.float64)
        cumulative = np.cumsum(sizes) / sizes.sum()
        firsts = np.array([int(r.first) for r in ranges], dtype=np.int64)
        widths = [len(r.first) for r in ranges]
        types = np.array([range_type(r) for r in ranges], dtype=np.uint8)
        regions = np.array([range_region(r) for r in ranges], dtype="S3")
        left = count
        while left > 0:
            n = min(batch, left)
            left -= n
            picks = np.minimum(
                np.searchsorted(cumulative, self.numpy.random(n), side="right"), len(ranges) - 1
            )
            offsets = (self.numpy.random(n) * sizes[picks]).astype(np.int64)
            values = firsts[picks] + offsets
            numbers = [
                f"+{cc}{v:0{widths[p]}d}"
                for v, p in zip(values.tolist(), picks.tolist(), strict=True)
            ]
            yield np.array(numbers, dtype="S"), types[picks], regions[picks]


@cache
def range_type(reserved: FictionalRange) -> int:
    """The type of every number in a reserved range: what ``phonenumbers.number_type`` reports
    for it or, where libphonenumber does not know the range (its metadata follows live
    allocations), the type the regulator reserved it as. A range is one block of one type in its
    regulator's plan; tests/unit/services/numbers/test_types.py checks its numbers agree."""
    cc = phonenumbers.country_code_for_region(reserved.region)
    found = phonenumbers.number_type(phonenumbers.parse(f"+{cc}{reserved.first}", None))
    return int(found) if found != PhoneNumberType.UNKNOWN else TYPE_CODES[reserved.kind]


@cache
def range_region(reserved: FictionalRange) -> str:
    """The region of every number in a reserved range: what ``region_code_for_number`` names
    for it (CA's 800-555-0199 is a US number to libphonenumber, as every NANP toll-free number
    is) or, where libphonenumber cannot place a number it calls invalid, the region that
    reserves the range."""
    cc = phonenumbers.country_code_for_region(reserved.region)
    return region_of(cc, reserved.first) or reserved.region
