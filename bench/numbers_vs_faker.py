"""Benchmark: ringfence's number generator against Faker's ``phone_number()``, in one process.

Method. For each locale/region pair, Faker (same process, same interpreter) generates
``FAKER_N`` numbers with ``phone_number()``; ringfence generates ``BULK_N`` E.164 numbers in bulk
mode (decoded to Python ``str``, as a caller would use them) and ``SINGLE_N`` one at a time (the
path the Faker provider and the JSON API take). Throughput is numbers per second of wall time
(``time.perf_counter``), best of ``REPEATS`` runs. Validity is the share of a ``CHECK_N`` sample
that ``phonenumbers.is_valid_number`` accepts, parsing Faker's output with the locale's region as
default (its numbers are national-format strings) and ringfence's as E.164. The ratio column is
ringfence bulk / Faker. Tables are built before timing (once per process, as in a server).

Per call (second table). Each method is called ``CALL_N`` times in a loop, one number per call, as
a Faker user calls it: Faker's ``phone_number()`` on a plain ``Faker(locale)``; on a
``Faker(locale)`` with ``FakerProvider`` added, its ``phone_number()`` (national format) and
``valid_phone_number()`` (E.164); and ``NumberGenerator.e164`` (the single number the service
and the JSON API use). Each figure is the best of ``CALL_REPEATS`` runs in microseconds of CPU
time per call (``time.process_time``: the machine is shared),
after a warm-up call, the runs of the four interleaved (the machine's load changes touch them
alike); the ratios are Faker's time per call over ours. Single draws come from
buffers filled by the bulk path, so the runs include the refills.

The whole ``ringfence numbers`` command against a whole Faker command: ``bench/numbers_cli.py``.

Run: ``.venv/bin/python bench/numbers_vs_faker.py`` (``--per-call``: only the second table)
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import phonenumbers
from faker import Faker

from ringfence.services.numbers import FakerProvider
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
CALL_N = 200_000
CALL_REPEATS = 5


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
    per_call()


def micros_per_call(calls: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best microseconds of CPU time per call of each callable, their runs interleaved (Faker's,
    then ours, then Faker's again...) so that a change in the machine's load touches all of them
    alike. CPU time (``time.process_time``), not wall time: every callable is single-threaded,
    and on a shared machine wall time counts the time others hold the cores."""
    for call in calls.values():
        call()  # warm-up: tables built, first buffers filled
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(CALL_REPEATS):
        for name, call in calls.items():
            start = time.process_time()
            for _ in range(CALL_N):
                call()
            best[name] = min(best[name], time.process_time() - start)
    return {name: 1e6 * seconds / CALL_N for name, seconds in best.items()}


def per_call() -> None:
    header = (
        f"{'locale':7} {'faker us':>9} {'phone us':>9} {'valid us':>9} {'e164 us':>8} "
        f"{'phone/faker':>11} {'valid/faker':>11} {'e164/faker':>10}"
    )
    print(f"\nper call, microseconds (best of {CALL_REPEATS} x {CALL_N:,} calls)\n{header}")
    print("-" * len(header))
    for locale, region in PAIRS:
        plain = Faker(locale)
        ours = Faker(locale)
        ours.add_provider(FakerProvider)
        generator = NumberGenerator(3)
        request = Request(region)
        us = micros_per_call(
            {
                "faker": plain.phone_number,
                "phone": ours.phone_number,
                "valid": ours.valid_phone_number,
                "e164": functools.partial(generator.e164, request),
            }
        )
        faker_us = us["faker"]
        print(
            f"{locale:7} {faker_us:9.2f} {us['phone']:9.2f} {us['valid']:9.2f} {us['e164']:8.2f} "
            f"{faker_us / us['phone']:10.1f}x {faker_us / us['valid']:10.1f}x "
            f"{faker_us / us['e164']:9.1f}x"
        )


if __name__ == "__main__":
    import sys

    per_call() if sys.argv[1:] == ["--per-call"] else main()
