"""Single numbers at bulk speed: numbers drawn in bulk by the vectorised path, handed out one
at a time.

Each kind of request (region, type, prefix, fiction, and the written form) has its own buffer.
A buffer is refilled when it runs out, twice as large as the last time (``SMALLEST`` up to
``LARGEST`` numbers), so a caller wanting one number pays for a few and a caller wanting many
pays the bulk price; at most ``KEYS`` buffers are kept (the oldest goes first), so memory stays
bounded whatever the requests.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ringfence.services.numbers.generator import NumberGenerator, Request

SMALLEST = 16
LARGEST = 8192
KEYS = 16

# Writes a batch of E.164 numbers (bytes) as the strings handed out.
Writer = Callable[[np.ndarray], list[str]]


def as_e164(batch: np.ndarray) -> list[str]:
    """The batch's numbers as ``str``: one line per number written into one buffer and decoded
    at once (a third cheaper than decoding each ``bytes``); the NUL bytes that pad the shorter
    numbers of a mixed batch are dropped."""
    width = batch.dtype.itemsize
    rows = np.empty((len(batch), width + 1), dtype=np.uint8)
    rows[:, :width] = np.ascontiguousarray(batch).view(np.uint8).reshape(len(batch), width)
    rows[:, width] = ord("\n")
    numbers = rows.tobytes().decode("ascii").replace("\0", "").split("\n")
    numbers.pop()  # after the last newline
    return numbers


def draw(generator: NumberGenerator, request: Request, count: int, write: Writer) -> list[str]:
    """``count`` numbers from the bulk path, written by ``write``."""
    out: list[str] = []
    for batch in generator.bulk(request, count):
        out.extend(write(batch))
    return out


@dataclass
class Buffer:
    numbers: list[str] = field(default_factory=list)
    expected: list[int] = field(default_factory=list)  # Faker's draws each number stands for
    next: int = 0
    size: int = SMALLEST // 2


class Buffers:
    """A bounded map of buffers, the oldest evicted first."""

    def __init__(self) -> None:
        self._buffers: dict[Hashable, Buffer] = {}
        self.last: tuple[Hashable, Buffer] | None = None  # the key last asked for, its buffer

    def get(self, key: Hashable) -> Buffer:
        last = self.last
        if last is not None and last[0] is key:
            return last[1]  # the same request object again: no hashing
        buffer = self._buffers.get(key)
        if buffer is None:
            if len(self._buffers) >= KEYS:
                del self._buffers[next(iter(self._buffers))]
            buffer = self._buffers[key] = Buffer()
        self.last = (key, buffer)
        return buffer
