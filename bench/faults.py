"""The fault suite's figures: runs every experiment in ``bench/faults_*.py`` and prints what it
measured (called twice, lost, stall seconds, 5xx counts, p99...).

Each experiment module has ``async def experiment() -> dict[str, float | int | str]`` and a
docstring saying its method; each also runs alone (``python bench/faults_queue.py``). An
experiment that fails is reported with its error and the others still run (exit status 1).

Run: ``.venv/bin/python bench/faults.py [--only NAME]`` (NAME: ``queue`` for
``faults_queue.py``; ``--list`` names them).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def experiments() -> list[str]:
    return sorted(p.stem.removeprefix("faults_") for p in HERE.glob("faults_*.py"))


async def run(names: list[str]) -> int:
    failed = 0
    for name in names:
        module = importlib.import_module(f"faults_{name}")
        started = time.monotonic()
        print(f"== {name}", flush=True)
        try:
            figures = await module.experiment()
        except Exception as exc:  # one experiment's failure is a figure too; the rest go on
            failed += 1
            print(f"   failed: {type(exc).__name__}: {exc}", flush=True)
            continue
        for key, value in figures.items():
            print(f"   {key:34} {value}", flush=True)
        print(f"   {'(seconds to run)':34} {time.monotonic() - started:.0f}", flush=True)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=experiments(), help="run one experiment")
    parser.add_argument("--list", action="store_true", help="name the experiments")
    args = parser.parse_args()
    if args.list:
        print("\n".join(experiments()))
        return 0
    sys.path.insert(0, str(HERE))
    return asyncio.run(run([args.only] if args.only else experiments()))


if __name__ == "__main__":
    sys.exit(main())
