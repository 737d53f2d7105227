"""Per-destination rates from the operator's CSV, and what a call costs.

CSV columns: ``prefix`` (E.164 digits, longest match wins), ``price_per_minute`` (minor units),
``increment`` (``first/next`` seconds: 60/60 bills started minutes, 1/1 per second, 30/6 the
first 30 seconds then each started 6), ``connection_fee`` (minor units, charged on answer),
``currency``, and an optional ``name``. Unanswered calls cost nothing.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from ringfence.errors import Forbidden, InvalidInput

COLUMNS = ("prefix", "price_per_minute", "increment", "connection_fee", "currency")


@dataclass(frozen=True)
class Rate:
    prefix: str
    price_per_minute: int
    first: int
    step: int
    connection_fee: int
    currency: str
    name: str = ""

    def billed_seconds(self, seconds: float) -> int:
        if seconds <= 0:
            return 0
        if seconds <= self.first:
            return self.first
        return self.first + math.ceil((seconds - self.first) / self.step) * self.step

    def charge(self, seconds: float) -> int:
        """The cost of an answered call of ``seconds`` (minor units, rounded up)."""
        billed = self.billed_seconds(seconds)
        if billed == 0:
            return 0
        return self.connection_fee + math.ceil(self.price_per_minute * billed / 60)

    def max_seconds(self, balance: int) -> int:
        """The longest call ``balance`` pays for in full (0 if not even the first block)."""
        if balance < self.charge(self.first):
            return 0
        if self.price_per_minute == 0:
            return 24 * 3600
        usable = balance - self.connection_fee
        billed = usable * 60 // self.price_per_minute
        blocks = (billed - self.first) // self.step
        seconds = self.first + max(0, blocks) * self.step
        while seconds > self.first and self.charge(seconds) > balance:
            seconds -= self.step
        return seconds


class RateTable:
    def __init__(self, rates: list[Rate]) -> None:
        self.rates = sorted(rates, key=lambda r: len(r.prefix), reverse=True)

    def __len__(self) -> int:
        return len(self.rates)

    def lookup(self, e164: str) -> Rate:
        digits = e164.lstrip("+")
        for rate in self.rates:
            if digits.startswith(rate.prefix):
                return rate
        raise Forbidden("calls to this destination are not offered (no rate for it)")

    @classmethod
    def from_csv(cls, text: str) -> RateTable:
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(f"rate table: missing column {missing[0]!r} (need {COLUMNS})")
        rates = []
        for line, row in enumerate(reader, start=2):
            try:
                first, _, step = row["increment"].partition("/")
                rate = Rate(
                    prefix=row["prefix"].strip().lstrip("+"),
                    price_per_minute=int(row["price_per_minute"]),
                    first=int(first),
                    step=int(step or first),
                    connection_fee=int(row["connection_fee"] or 0),
                    currency=row["currency"].strip().upper(),
                    name=(row.get("name") or "").strip(),
                )
            except (ValueError, AttributeError):
                raise InvalidInput(f"rate table line {line}: not a valid rate") from None
            if not rate.prefix.isdigit() or rate.first < 1 or rate.step < 1:
                raise InvalidInput(f"rate table line {line}: prefix or increment is wrong")
            if rate.price_per_minute < 0 or rate.connection_fee < 0 or len(rate.currency) != 3:
                raise InvalidInput(f"rate table line {line}: prices or currency are wrong")
            rates.append(rate)
        return cls(rates)

    @classmethod
    def load(cls, path: Path) -> RateTable:
        try:
            return cls.from_csv(path.read_text())
        except OSError as exc:
            raise InvalidInput(f"cannot read the rate table {path}: {exc.strerror}") from None
