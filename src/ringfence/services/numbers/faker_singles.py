"""Single numbers for the Faker provider, from buffers filled in bulk with Faker's randomness.

Each lane (one per region, type, fiction and written form) hands out the numbers of one buffer
whose randomness is Faker's ``random.Random``, so ``Faker.seed()`` and ``seed_instance()`` make
them reproducible for the same sequence of calls, as Faker promises for its own methods.

Every number handed out costs one 32-bit draw from Faker's generator. A buffer is filled from
the draws it expects next (the first two seed the NumPy generator of the bulk path), then Faker's
generator is wound back to just after the first. A draw that differs from the expected one means
Faker was reseeded or used by something else in between: the buffer is refilled from the new
state. If buffers keep being abandoned after one number (calls mixed with other Faker methods),
numbers are drawn one at a time, as before buffering, for a growing number of calls (8 up to
``BACKOFF_LONGEST``) before a buffer is tried again.
"""

from __future__ import annotations

import operator
import random
from collections.abc import Callable, Iterator

import numpy as np

from ringfence.services.numbers.buffers import LARGEST, SMALLEST, Writer, draw
from ringfence.services.numbers.generator import NumberGenerator, Request

BACKOFF_LONGEST = 1024


class Lane:
    __slots__ = (
        "_alone",
        "_backoff",
        "_expected",
        "_filled",
        "_pairs",
        "_request",
        "_size",
        "_skip",
        "_write",
        "_write_one",
        "rng",
    )

    def __init__(
        self, rng: random.Random, request: Request, write: Writer, write_one: Callable[[str], str]
    ) -> None:
        self.rng = rng
        self._alone = NumberGenerator(rng=rng)
        self._request = request
        self._write = write
        self._write_one = write_one
        # The buffer: (the draw Faker's generator is expected to give, the number it stands
        # for), handed out in order (zip reuses its tuple: nothing is allocated per call); the
        # iterator over the expected draws knows how many are left.
        self._expected: Iterator[int] = iter(())
        self._pairs: Iterator[tuple[int, str]] = iter(())
        self._filled = 0
        self._size = SMALLEST // 2
        self._backoff = self._skip = 0

    def take(self) -> str:
        """The next number: the buffer's, if Faker's generator is where the buffer expects."""
        seen = self.rng.getrandbits(32)
        for expected, number in self._pairs:
            if expected == seen:
                return number
            return self._missed(seen, self._filled - self._left() - 1)
        return self._missed(seen, self._filled)

    def _left(self) -> int:
        return operator.length_hint(self._expected)

    def _missed(self, seen: int, index: int) -> str:
        """``seen`` is not the draw the buffer expects at ``index`` (or the buffer is spent)."""
        if self._skip:
            self._skip -= 1
            return self._write_one(self._alone.e164_unbuffered(self._request))
        if index == 1 and self._filled > 1:
            # Abandoned after one number: another Faker method draws between our calls.
            self._backoff = min(max(8, self._backoff * 2), BACKOFF_LONGEST)
            self._skip = self._backoff
            self._expected, self._pairs, self._filled = iter(()), iter(()), 0
            self._size = SMALLEST // 2
            return self._write_one(self._alone.e164_unbuffered(self._request))
        if index > 1:
            self._backoff = 0  # the last buffer served in a row: calls are not mixed
        if index == self._filled:
            self._size = min(self._size * 2, LARGEST)
        else:
            self._size = SMALLEST  # reseeded: start again small
        return self._fill(seen)

    def _fill(self, seen: int) -> str:
        """Fills the buffer from the draws Faker's generator will give from here (``seen`` is
        the first) and returns its first number."""
        size = self._size
        state = self.rng.getstate()
        # getrandbits(32 * n) is n successive 32-bit draws, the first in the lowest word.
        draws = self.rng.getrandbits(32 * (size - 1)) << 32 | seen
        self.rng.setstate(state)
        expected = np.frombuffer(draws.to_bytes(4 * size, "little"), dtype="<u4").tolist()
        seed = expected[0] | (expected[1] << 32) if size > 1 else expected[0]
        numbers = draw(NumberGenerator(seed), self._request, size, self._write)
        self._expected = iter(expected)
        self._pairs = zip(self._expected, numbers, strict=True)
        self._filled = size
        next(self._pairs)
        return numbers[0]
