"""How long the command line takes to answer, as a user runs it.

Method: each command (``ringfence version``, ``ringfence --help``, ``ringfence numbers --help``
and, for scale, a bare ``python -c pass``) runs ``--runs`` times as a subprocess of this
interpreter (``python -m ringfence``, a clean ``RINGFENCE_*`` environment and a temporary data
dir), one after the other, after one unmeasured warm-up run each (the page cache and the
``.pyc`` files). The wall time from spawn to exit is taken with ``time.perf_counter`` and the
child's CPU time (user + system) from ``resource.getrusage(RUSAGE_CHILDREN)``; prints the median
and the fastest wall time and the median CPU time, in seconds. On a busy machine the wall times
move; the CPU time is what the code costs.

    .venv/bin/python bench/cli_start.py
    .venv/bin/python bench/cli_start.py --runs 30
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "ringfence version": ["-m", "ringfence", "version"],
    "ringfence --help": ["-m", "ringfence", "--help"],
    "ringfence numbers --help": ["-m", "ringfence", "numbers", "--help"],
}


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def once(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run."""
    cpu, start = _cpu(), time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - start, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RINGFENCE_")}
        env["RINGFENCE_DATA_DIR"] = data_dir
        print(f"{'command':<28}{'wall median':>12}{'fastest':>9}{'CPU median':>12}   ({runs} runs)")
        for label, args in COMMANDS.items():
            once(args, env)
            runs_ = [once(args, env) for _ in range(runs)]
            wall = [w for w, _ in runs_]
            cpu = statistics.median(c for _, c in runs_)
            print(f"{label:<28}{statistics.median(wall):>12.3f}{min(wall):>9.3f}{cpu:>12.3f}")


if __name__ == "__main__":
    main()
