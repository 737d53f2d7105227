"""Benchmark: the whole ``ringfence numbers`` command against a whole Faker command.

Method. Both commands run as subprocesses in the same session, one after the other, ``RUNS``
times alternately, with stdout to ``/dev/null``; each figure is the best wall time
(``time.perf_counter`` around the process, start-up and imports included):

- ``python -m ringfence numbers --count 1000000 --region US`` (E.164, CSV with the type column;
  the ``ringfence`` console script runs the same code);
- ``python -c`` writing 1,000,000 ``Faker("en_US").phone_number()``, one per line, to stdout.

Both use the interpreter running this script. The ratio is Faker's time over ringfence's.

Run: ``.venv/bin/python bench/numbers_cli.py`` (``--count N`` for another size)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

RUNS = 3
FAKER = (
    "import sys\n"
    "from faker import Faker\n"
    "fake = Faker('en_US')\n"
    "out = sys.stdout.write\n"
    "for _ in range({count}):\n"
    "    out(fake.phone_number() + '\\n')\n"
)


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    count = parser.parse_args().count
    ours = [sys.executable, "-m", "ringfence", "numbers", "--count", str(count), "--region", "US"]
    faker = [sys.executable, "-c", FAKER.format(count=count)]
    best = {"ringfence": float("inf"), "faker": float("inf")}
    for _ in range(RUNS):
        best["ringfence"] = min(best["ringfence"], seconds(ours))
        best["faker"] = min(best["faker"], seconds(faker))
    print(f"{count:,} US numbers to /dev/null, best of {RUNS} runs each, alternating")
    print(f"  ringfence numbers --count {count} --region US   {best['ringfence']:8.2f} s")
    print(f"  python -c (Faker en_US phone_number())         {best['faker']:8.2f} s")
    ratio = best["faker"] / best["ringfence"]
    print(f"  ratio faker / ringfence                        {ratio:8.1f}x")


if __name__ == "__main__":
    main()
