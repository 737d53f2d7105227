"""What the page, the API and the CLI ask of the numbers service, with their input checked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import phonenumbers

from ringfence.errors import InvalidInput
from ringfence.http.countries import countries
from ringfence.services.numbers.describe import NumberInfo, describe, describe_e164
from ringfence.services.numbers.fiction import regulator_for
from ringfence.services.numbers.generator import NumberGenerator, Request
from ringfence.services.numbers.kinds import KINDS
from ringfence.services.numbers.prefixes import check_prefix

__all__ = ["KINDS", "InvalidInput"]
from ringfence.services.numbers.tables import NoSuchNumbers, kinds_for

MAX_API_COUNT = 1_000
MAX_DOWNLOAD_COUNT = 100_000


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    country_code: int
    kinds: tuple[str, ...]


@lru_cache(maxsize=1)
def regions() -> tuple[Region, ...]:
    """Every region, by its current name (``http.countries``), with the types it has."""
    return tuple(Region(code, name, cc, tuple(kinds_for(code))) for code, name, cc in countries())


def parse_request(region: str, kind: str | None, safe: bool, prefix: str = "") -> Request:
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(
            f"unknown region {region!r}; accepted: ISO 3166 codes libphonenumber knows, such as "
            + ", ".join(sorted(phonenumbers.SUPPORTED_REGIONS))
        )
    if kind in ("", "any"):
        kind = None
    if kind is not None:
        if kind not in KINDS:
            raise InvalidInput(f"unknown type {kind!r}; accepted: any, {', '.join(KINDS)}")
        available = kinds_for(code)
        if kind not in available:
            raise InvalidInput(
                f"{code} has no {kind} numbers; accepted for {code}: any, {', '.join(available)}"
            )
    try:
        digits = check_prefix(prefix)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    return Request(code, kind, safe, digits)


def reserved_by(request: Request) -> str:
    """The regulator reserving the numbers of a fiction request ("" for real numbers)."""
    return regulator_for(request.region) if request.safe else ""


def check_count(count: int, cap: int) -> int:
    if not 1 <= count <= cap:
        raise InvalidInput(f"count must be between 1 and {cap}")
    return count


def generate(request: Request, count: int, seed: int | None) -> list[NumberInfo]:
    """Numbers with every format; raises InvalidInput where the region has none to give."""
    generator = NumberGenerator(seed)
    try:
        return [describe_e164(e164) for e164 in generator.numbers(request, count)]
    except NoSuchNumbers as exc:
        raise InvalidInput(str(exc)) from None


@dataclass(frozen=True)
class NumberBatch:
    """E.164 numbers (``bytes``, dtype ``S``), each one's own type
    (``phonenumbers.PhoneNumberType`` codes, as ``NumberGenerator.bulk_typed`` reports them;
    ``kinds.type_name`` names them) and region (dtype ``S3``: what libphonenumber names for
    the number, which for a shared country code may differ from the region asked for)."""

    e164: np.ndarray
    types: np.ndarray
    regions: np.ndarray

    def __len__(self) -> int:
        return len(self.e164)

    @property
    def numbers(self) -> list[str]:
        return [b.decode() for b in self.e164.tolist()]


def bulk_e164(request: Request, count: int, seed: int | None) -> Iterator[NumberBatch]:
    """E.164 numbers in batches, for streaming downloads of any size."""
    generator = NumberGenerator(seed)
    try:
        batches = generator.bulk_typed(request, count)
        first = next(batches, None)
    except NoSuchNumbers as exc:
        raise InvalidInput(str(exc)) from None
    if first is None:
        return iter(())

    def all_batches() -> Iterator[NumberBatch]:
        yield NumberBatch(*first)
        for numbers, types, places in batches:
            yield NumberBatch(numbers, types, places)

    return all_batches()


def check(number: str, region: str | None = None) -> NumberInfo:
    """Parse a number someone typed and say what it is."""
    default = region.strip().upper() if region else None
    if default is not None and default not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput(f"unknown region {region!r}")
    if len(number) > 64:
        raise InvalidInput("a phone number is at most 64 characters")
    try:
        parsed = phonenumbers.parse(number, default)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"not a phone number: {exc._msg}") from None
    return describe(parsed)
