"""Digit languages from libphonenumber's regular expressions, counted and split into blocks.

libphonenumber describes every number type of every region by a regular expression over digits
(``national_number_pattern``) and a set of possible lengths. To draw numbers that are valid *by
construction* we compile those expressions into automata over the ten digits, combine them
(a type's pattern, minus the patterns that ``number_type`` tests first, minus what another region
sharing the country code would claim), and count, for every state and remaining length, how many
digit strings complete to an accepted number. Uniform sampling then picks each digit in proportion
to those counts.

For speed the accepted strings of one length are split into *blocks*: sequences of digit classes
(``7``, ``[0-57-9]``, ``\\d``...) whose every combination is accepted and which never overlap, so
a block is chosen by its weight (the product of its class sizes) and its digits independently.

Only the regular-expression features libphonenumber uses are supported: literals, classes, ``\\d``,
groups, alternation, bounded and unbounded repeats, and the ``^``/``$`` anchors.
"""

from __future__ import annotations

import re._constants as sre_c
import re._parser as sre_p
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

ALL_DIGITS = (1 << 10) - 1
DigitMask = int  # bit d set: digit d allowed


class UnsupportedPattern(ValueError):
    """A regular-expression feature this compiler does not translate."""


@dataclass
class NFA:
    """Thompson automaton: epsilon edges, digit-mask edges, one start, accepting states.

    ``end_only`` states accept only when the input is exhausted (a ``$`` anchor).
    """

    eps: list[list[int]] = field(default_factory=list)
    edges: list[list[tuple[DigitMask, int]]] = field(default_factory=list)
    start: int = 0
    accept: set[int] = field(default_factory=set)

    def new_state(self) -> int:
        self.eps.append([])
        self.edges.append([])
        return len(self.eps) - 1


def _class_mask(items: Sequence[tuple[Any, Any]]) -> DigitMask:
    mask = 0
    negate = False
    for op, av in items:
        if op is sre_c.NEGATE:
            negate = True
        elif op is sre_c.LITERAL:
            digit = int(av) - 48
            if 0 <= digit <= 9:
                mask |= 1 << digit
        elif op is sre_c.RANGE:
            low, high = av
            for code in range(max(low, 48), min(high, 57) + 1):
                mask |= 1 << (code - 48)
        elif op is sre_c.CATEGORY and av is sre_c.CATEGORY_DIGIT:
            mask |= ALL_DIGITS
        else:
            raise UnsupportedPattern(f"class item {op} {av}")
    return (ALL_DIGITS & ~mask) if negate else mask


class _Builder:
    """Builds fragments (start, end) of an NFA from ``re._parser`` output."""

    def __init__(self, nfa: NFA, end_sink: int) -> None:
        self.nfa = nfa
        self.end_sink = end_sink

    def sequence(self, items: Any) -> tuple[int, int]:
        start = self.nfa.new_state()
        current = start
        for op, av in items:
            s, e = self.item(op, av)
            self.nfa.eps[current].append(s)
            current = e
        return start, current

    def _edge(self, mask: DigitMask) -> tuple[int, int]:
        s, e = self.nfa.new_state(), self.nfa.new_state()
        self.nfa.edges[s].append((mask, e))
        return s, e

    def item(self, op: Any, av: Any) -> tuple[int, int]:
        nfa = self.nfa
        if op is sre_c.LITERAL:
            digit = int(av) - 48
            if not 0 <= digit <= 9:
                # A non-digit literal can never match a string of digits.
                return self._edge(0)
            return self._edge(1 << digit)
        if op is sre_c.IN:
            return self._edge(_class_mask(av))
        if op is sre_c.ANY:
            return self._edge(ALL_DIGITS)
        if op is sre_c.SUBPATTERN:
            return self.sequence(av[-1])
        if op is sre_c.BRANCH:
            start, end = nfa.new_state(), nfa.new_state()
            for alternative in av[1]:
                s, e = self.sequence(alternative)
                nfa.eps[start].append(s)
                nfa.eps[e].append(end)
            return start, end
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, getattr(sre_c, "POSSESSIVE_REPEAT", None)):
            low, high, sub = av
            return self.repeat(low, high, sub)
        if op is sre_c.AT:
            start = nfa.new_state()
            if av in (sre_c.AT_END, sre_c.AT_END_STRING):
                # `$`: the match must end here, whatever the pattern says after it.
                nfa.eps[start].append(self.end_sink)
                return start, nfa.new_state()
            if av in (sre_c.AT_BEGINNING, sre_c.AT_BEGINNING_STRING):
                return start, start
        raise UnsupportedPattern(f"{op} {av}")

    def repeat(self, low: int, high: int, sub: Any) -> tuple[int, int]:
        nfa = self.nfa
        start = nfa.new_state()
        current = start
        for _ in range(low):
            s, e = self.sequence(sub)
            nfa.eps[current].append(s)
            current = e
        if high == sre_c.MAXREPEAT:
            s, e = self.sequence(sub)
            nfa.eps[current].append(s)
            nfa.eps[e].append(current)
            return start, current
        end = nfa.new_state()
        nfa.eps[current].append(end)
        for _ in range(high - low):
            s, e = self.sequence(sub)
            nfa.eps[current].append(s)
            nfa.eps[e].append(end)
            current = e
        return start, end


def compile_pattern(pattern: str, *, prefix: bool = False) -> NFA:
    """An NFA accepting the digit strings that ``re.fullmatch(pattern, s)`` accepts, or, with
    ``prefix``, those that ``re.match(pattern, s)`` accepts (the pattern followed by any digits)."""
    nfa = NFA()
    end_sink = nfa.new_state()
    nfa.accept.add(end_sink)
    builder = _Builder(nfa, end_sink)
    start, end = builder.sequence(sre_p.parse(pattern))
    nfa.start = start
    if prefix:
        loop = nfa.new_state()
        nfa.eps[end].append(loop)
        nfa.edges[loop].append((ALL_DIGITS, loop))
        nfa.accept.add(loop)
    else:
        nfa.accept.add(end)
    return nfa


class DFA:
    """Subset construction on demand: states are frozensets of NFA states."""

    def __init__(self, nfa: NFA) -> None:
        self.nfa = nfa
        self._step: dict[tuple[frozenset[int], int], frozenset[int]] = {}
        self.start = self._closure({nfa.start})

    def _closure(self, states: set[int]) -> frozenset[int]:
        stack = list(states)
        seen = set(states)
        while stack:
            for nxt in self.nfa.eps[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return frozenset(seen)

    def step(self, state: frozenset[int], digit: int) -> frozenset[int]:
        key = (state, digit)
        found = self._step.get(key)
        if found is None:
            bit = 1 << digit
            targets = {t for s in state for mask, t in self.nfa.edges[s] if mask & bit}
            found = self._closure(targets) if targets else frozenset()
            self._step[key] = found
        return found

    def accepts(self, state: frozenset[int]) -> bool:
        return not self.nfa.accept.isdisjoint(state)


State = tuple[frozenset[int], ...]


class Language:
    """Strings accepted by every ``include`` automaton and by no ``exclude`` one."""

    def __init__(self, include: Sequence[NFA], exclude: Sequence[NFA] = ()) -> None:
        self.include = [DFA(n) for n in include]
        self.exclude = [DFA(n) for n in exclude]
        self.machines = self.include + self.exclude
        self.start: State = tuple(m.start for m in self.machines)
        self._count: dict[tuple[State, int], int] = {}
        self._groups: dict[State, list[tuple[DigitMask, State]]] = {}

    def accepts(self, state: State) -> bool:
        n = len(self.include)
        return all(m.accepts(s) for m, s in zip(self.include, state[:n], strict=True)) and not any(
            m.accepts(s) for m, s in zip(self.exclude, state[n:], strict=True)
        )

    def groups(self, state: State) -> list[tuple[DigitMask, State]]:
        """The live successors of ``state``, each with the mask of digits that lead to it."""
        found = self._groups.get(state)
        if found is None:
            by_next: dict[State, DigitMask] = {}
            for digit in range(10):
                nxt = tuple(m.step(s, digit) for m, s in zip(self.machines, state, strict=True))
                if any(not part for part in nxt[: len(self.include)]):
                    continue  # an include automaton is dead: nothing accepted from here
                by_next[nxt] = by_next.get(nxt, 0) | (1 << digit)
            found = [(mask, nxt) for nxt, mask in by_next.items()]
            self._groups[state] = found
        return found

    def count(self, state: State, remaining: int) -> int:
        """How many digit strings of length ``remaining`` lead from ``state`` to acceptance."""
        key = (state, remaining)
        found = self._count.get(key)
        if found is None:
            if remaining == 0:
                found = 1 if self.accepts(state) else 0
            else:
                found = sum(
                    mask.bit_count() * self.count(nxt, remaining - 1)
                    for mask, nxt in self.groups(state)
                )
            self._count[key] = found
        return found

    def matches(self, digits: str) -> bool:
        """Whether the language contains ``digits`` (a direct walk, for tests and checks)."""
        state = self.start
        for char in digits:
            state = tuple(m.step(s, int(char)) for m, s in zip(self.machines, state, strict=True))
        return self.accepts(state)

    def total(self, length: int) -> int:
        return self.count(self.start, length)

    def blocks(self, length: int, limit: int) -> list[tuple[DigitMask, ...]] | None:
        """Disjoint blocks covering the accepted strings of ``length``; None past ``limit``."""
        out: list[tuple[DigitMask, ...]] = []
        path: list[DigitMask] = []

        def walk(state: State, remaining: int) -> bool:
            if remaining == 0:
                out.append(tuple(path))
                return len(out) <= limit
            for mask, nxt in self.groups(state):
                if self.count(nxt, remaining - 1) == 0:
                    continue
                # Merge digits whose successors accept exactly the same completions: a free
                # `\d{k}` tail yields one block instead of one per digit.
                path.append(mask)
                ok = walk(nxt, remaining - 1)
                path.pop()
                if not ok:
                    return False
            return True

        return out if walk(self.start, length) else None


@cache
def digits_of(mask: DigitMask) -> tuple[int, ...]:
    return tuple(d for d in range(10) if mask >> d & 1)
