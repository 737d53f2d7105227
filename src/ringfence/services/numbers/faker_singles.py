"""Single numbers for the Faker provider, from buffers filled in bulk with Faker's randomness.

Each lane (one per region, type, fiction and written form) hands out numbers whose randomness is
Faker's ``random.Random``, so ``Faker.seed()`` and ``seed_instance()`` make them reproducible for
the same sequence of calls, as Faker promises for its own methods, whatever the provider was
asked before the seed.

A lane serves each call in one of two ways:

- **one at a time**: the number is drawn from Faker's generator directly, as Faker's own methods
  draw, and the draw that comes next is noted;
- **from a buffer**: after ``RUN`` calls in a row with nothing else drawing in between (each call
  found the draw noted by the last), a buffer of numbers is drawn in bulk from the draws Faker's
  generator will give next (the first two seed the NumPy generator of the bulk path), and Faker's
  generator is wound back to just after the first. Each number handed out then costs one 32-bit
  draw, checked against the one the buffer expects; one more draw than the buffer's numbers is
  noted, so a call after the last number knows whether the run goes on (the next buffer is twice
  as large, up to ``LARGEST``) or not.

Any draw that differs from the one expected (Faker was reseeded, or another method drew in
between) returns the lane to one at a time with its run counted from zero. What a lane does on a
call therefore depends only on the draws since the last such break, and a reseed is always one
(a 1 in 2**32 chance aside): after ``Faker.seed()`` an old provider and a fresh one hand out the
same numbers.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

import numpy as np

from ringfence.services.numbers.buffers import LARGEST, SMALLEST, Writer, draw
from ringfence.services.numbers.generator import NumberGenerator, Request

RUN = 16  # calls in a row, nothing drawn between them, before numbers are drawn in bulk
NOTHING = -1  # no draw is expected (never a 32-bit draw)


class Lane:
    __slots__ = (
        "_after",
        "_alone",
        "_pairs",
        "_request",
        "_run",
        "_size",
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
        # for), handed out in order (zip reuses its tuple: nothing is allocated per call).
        self._pairs: Iterator[tuple[int, str]] = iter(())
        self._after = NOTHING  # the draw expected after the buffer's (or the last single's)
        self._size = 0  # the last buffer's size (0: none in this run)
        self._run = 0  # single calls in a row, nothing drawn between them

    def take(self) -> str:
        """The next number: the buffer's, if Faker's generator is where the buffer expects."""
        seen = self.rng.getrandbits(32)
        for expected, number in self._pairs:
            if expected == seen:
                return number
            self._pairs = iter(())
            return self._single(seen, NOTHING)
        if self._size and seen == self._after:
            return self._fill(seen, min(self._size * 2, LARGEST))  # the run goes on
        return self._single(seen, self._after)

    def _single(self, seen: int, expected: int) -> str:
        """One number drawn directly; ``seen`` is this call's draw, ``expected`` the one noted."""
        self._size = 0
        self._run = self._run + 1 if seen == expected else 1
        if self._run >= RUN:
            return self._fill(seen, SMALLEST)
        number = self._write_one(self._alone.e164_unbuffered(self._request))
        state = self.rng.getstate()
        self._after = self.rng.getrandbits(32)
        self.rng.setstate(state)
        return number

    def _fill(self, seen: int, size: int) -> str:
        """Fills a buffer of ``size`` from the draws Faker's generator will give from here
        (``seen`` is the first) and returns its first number."""
        state = self.rng.getstate()
        # getrandbits(32 * n) is n successive 32-bit draws, the first in the lowest word: the
        # size - 1 draws of the buffer's other numbers, and the one after them.
        draws = self.rng.getrandbits(32 * size) << 32 | seen
        self.rng.setstate(state)
        expected = np.frombuffer(draws.to_bytes(4 * (size + 1), "little"), dtype="<u4").tolist()
        numbers = draw(
            NumberGenerator(expected[0] | expected[1] << 32), self._request, size, self._write
        )
        self._pairs = zip(expected[1:size], numbers[1:], strict=True)
        self._after = expected[size]
        self._size = size
        self._run = 0
        return numbers[0]
