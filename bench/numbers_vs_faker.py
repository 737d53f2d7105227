"""Benchmark: ringfence's number generator against Faker's ``phone_number()``, in one process.

Method. For each locale/region pair, Faker (same process, same interpreter) generates
``FAKER_N`` numbers with ``phone_number()``; ringfence generates ``BULK_N`` E.164 numbers in bulk
mode (decoded to Python ``str``, as a caller would use them) and ``SINGLE_N`` one at a time (the
path the Faker provider and the JSON API take). Throughput is numbers per second of wall time
(``time.perf_counter``), best of ``REPEATS`` runs. Validity is the share of a ``CHECK_N`` sample
that ``phonenumbers.is_valid_number`` accepts, parsing Faker's output with the locale's region as
default (its numbers are national-format strings) and ringfence's as E.164. The ratio column is
ringfence bulk / Faker. Tables are built before timing (once per process, as in a server).

Run: ``.venv/bin/python bench/numbers_vs_faker.py``
"""

from __future__ import annotations

import time
from collections.abc import Callable

import phonenumbers
from faker import Faker

from ringfence.services.numbers.generator import NumberGenerator, Request
from ringfence.services.numbers.tables import table_for

PAIRS = [
    ("en_US", "US"),
    ("pt_BR", "BR"),
    ("en_IN", "IN"),
    ("en_GB", "GB"),
    ("de_DE", "DE"),
    ("fr_FR", "FR"),
    ("ja_JP", "JP"),
]
FAKER_N = 50_000
BULK_N = 1_000_000
SINGLE_N = 50_000
CHECK_N = 5_000
REPEATS = 3


def best_rate(n: int, run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return n / best


def valid_share(numbers: list[str], region: str | None) -> float:
    ok = 0
    for text in numbers:
        try:
            ok += phonenumbers.is_valid_number(phonenumbers.parse(text, region))
        except phonenumbers.NumberParseException:
            pass
    return ok / len(numbers)


def main() -> None:
    header = (
        f"{'locale':7} {'region':6} {'faker/s':>10} {'faker valid':>11} "
        f"{'rf bulk/s':>11} {'rf single/s':>11} {'rf valid':>9} {'bulk/faker':>10}"
    )
    print(header)
    print("-" * len(header))
    ratios = []
    for locale, region in PAIRS:
        fake = Faker(locale)
        Faker.seed(1)
        faker_rate = best_rate(FAKER_N, lambda f=fake: [f.phone_number() for _ in range(FAKER_N)])
        faker_valid = valid_share([fake.phone_number() for _ in range(CHECK_N)], region)

        request = Request(region)
        for kind in ("mobile", "fixed_line"):
            table_for(region, kind)  # build outside the timed runs

        def bulk(request: Request = request) -> list[str]:
            out: list[str] = []
            for batch in NumberGenerator(7).bulk(request, BULK_N):
                out.extend(batch.astype("U").tolist())
            return out

        bulk_rate = best_rate(BULK_N, bulk)
        single = NumberGenerator(8)
        single_rate = best_rate(SINGLE_N, lambda g=single, r=request: list(g.numbers(r, SINGLE_N)))
        sample = bulk()[:CHECK_N]
        rf_valid = valid_share(sample, None)
        ratio = bulk_rate / faker_rate
        ratios.append(ratio)
        print(
            f"{locale:7} {region:6} {faker_rate:10,.0f} {faker_valid:11.1%} "
            f"{bulk_rate:11,.0f} {single_rate:11,.0f} {rf_valid:9.1%} {ratio:9.1f}x"
        )
    print(f"\nbulk/faker ratio: min {min(ratios):.1f}x, max {max(ratios):.1f}x")


if __name__ == "__main__":
    main()
