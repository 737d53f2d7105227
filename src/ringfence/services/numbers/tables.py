"""Sampling tables for one region and number type, built from libphonenumber's metadata.

The accepted language for (region R, kind K) mirrors how phonenumbers decides validity:

- R's general pattern and K's pattern, at a length both allow (``_is_number_matching_desc``);
- none of the types ``_number_type_helper`` tests before K (``kinds.PRIORITY``), and for fixed
  line / mobile preferably not the other one, so the reported type is exactly K where possible;
- R's ``leading_digits`` if it has them, and nothing an earlier region sharing R's country code
  would claim (``_region_code_for_number_from_list``);
- no string that R's ``national_prefix_for_parsing`` matches, which ``parse`` could strip.

Exclusions ignore length limits, so they may exclude a little more than needed, never less. A
table that still produced a number phonenumbers rejects during its self-check is marked
``checked`` and every number drawn from it is verified before it is returned.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache

import numpy as np
import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType

from ringfence.services.numbers.automaton import NFA, Language, compile_pattern, digits_of
from ringfence.services.numbers.kinds import KINDS, PRIORITY
from ringfence.services.numbers.lengths import E164_MAX_DIGITS, weights

BLOCK_LIMIT = 20_000
SELF_CHECK_SAMPLES = 48

# Every digit mask's digits as a row, and its size: class ids in the tables are the masks.
CLASS_DIGITS = np.zeros((1024, 10), dtype=np.uint8)
CLASS_SIZES = np.zeros(1024, dtype=np.int64)
for _mask in range(1, 1024):
    _ds = digits_of(_mask)
    CLASS_DIGITS[_mask, : len(_ds)] = _ds
    CLASS_SIZES[_mask] = len(_ds)


class NoSuchNumbers(LookupError):
    """The region defines no number of the requested kind."""


def _metadata(region: str) -> PhoneMetadata:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        raise NoSuchNumbers(f"unknown region {region!r}")
    return metadata


def _desc(metadata: PhoneMetadata, attribute: str) -> phonenumbers.PhoneNumberDesc | None:
    desc: phonenumbers.PhoneNumberDesc | None = getattr(metadata, attribute, None)
    if desc is None or not desc.national_number_pattern:
        return None
    if desc.possible_length == (-1,):
        return None
    return desc


def kinds_for(region: str) -> list[str]:
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return []
    return [name for name, (attr, _) in KINDS.items() if _desc(metadata, attr) is not None]


@lru_cache(maxsize=4096)
def _nfa(pattern: str, prefix: bool = False) -> NFA:
    return compile_pattern(pattern, prefix=prefix)


def _general(metadata: PhoneMetadata) -> phonenumbers.PhoneNumberDesc:
    general = metadata.general_desc
    if general is None:
        raise NoSuchNumbers("metadata without a general description")
    return general


def _lengths(metadata: PhoneMetadata, attr: str) -> list[int]:
    """The national lengths a type allows that stay within E.164's 15 digits."""
    general = set(_general(metadata).possible_length or ())
    desc = _desc(metadata, attr)
    own = set(desc.possible_length or ()) if desc else set()
    allowed = (own or general) & general if general else own
    longest = E164_MAX_DIGITS - len(str(metadata.country_code or 0))
    return sorted(n for n in allowed if n <= longest)


def _type_exclusions(metadata: PhoneMetadata, kind: str, strict: bool) -> list[NFA]:
    out: list[NFA] = []
    attr = KINDS[kind][0]
    earlier = PRIORITY if kind in ("fixed_line", "mobile") else PRIORITY[: PRIORITY.index(kind)]
    for name in earlier:
        desc = _desc(metadata, KINDS[name][0])
        if desc is not None:
            out.append(_nfa(desc.national_number_pattern))
    if strict and kind in ("fixed_line", "mobile"):
        other = _desc(metadata, "mobile" if attr == "fixed_line" else "fixed_line")
        if other is not None:
            out.append(_nfa(other.national_number_pattern))
    return out


def _parsing_exclusions(metadata: PhoneMetadata) -> list[NFA]:
    """Strings that ``parse`` could rewrite by stripping a national prefix.

    Without a transform rule, phonenumbers strips the prefix only when what is left still matches
    the general pattern, so we exclude prefix-then-general strings; with a transform rule we
    exclude every string the prefix pattern matches at all.
    """
    npfp = metadata.national_prefix_for_parsing
    if not npfp:
        return []
    if metadata.national_prefix_transform_rule:
        return [_nfa(npfp, prefix=True)]
    return [_nfa(f"(?:{npfp})(?:{_general(metadata).national_number_pattern})")]


def _region_exclusions(region: str, metadata: PhoneMetadata) -> list[NFA]:
    """What a region listed before ``region`` under the same country code would claim."""
    out: list[NFA] = []
    code = metadata.country_code or 0
    for other_region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ()):
        if other_region == region:
            break
        other = PhoneMetadata.metadata_for_region(other_region)
        if other is None:
            continue
        if other.leading_digits:
            out.append(_nfa(other.leading_digits, prefix=True))
            continue
        for other_attr, _ in KINDS.values():
            desc = _desc(other, other_attr)
            if desc is not None:
                out.append(_nfa(desc.national_number_pattern))
    return out


FLAT_DIGITS = (CLASS_DIGITS + 48).ravel()  # mask * 10 + index: the index-th digit of the mask


@dataclass(frozen=True)
class Radix:
    """A length table's blocks as mixed-radix numbers, for drawing many numbers at once.

    Block ``b`` holds ``weights[b]`` numbers (the product of its classes' sizes); its ``r``-th
    number is ``r`` written in the block's mixed radix, the last position least significant:
    each position's digit is the ``(r % size)``-th of its class, then ``r //= size``. Drawing
    ``r`` uniformly below the weight draws the block's numbers uniformly with one random value
    per number instead of one per digit. A position whose class is the same in every block (a
    fixed prefix digit, a ``\\d``) is written without looking up each number's block.
    """

    weights: np.ndarray  # (blocks,) float64
    sizes: np.ndarray  # (length, blocks) int64
    offsets: np.ndarray  # (length, blocks) int64: mask * 10, into FLAT_DIGITS
    same: np.ndarray  # (length,) bool: the position's class is the same in every block

    @classmethod
    def of(cls, masks: np.ndarray) -> Radix:
        sizes = CLASS_SIZES[masks].T.astype(np.int64)  # (length, blocks)
        weights = sizes.prod(axis=0).astype(np.float64)
        if float(weights.max()) >= 2.0**52:
            raise ValueError("a block too large to draw exactly with one float")
        by_position = masks.T.astype(np.int64)
        same = (by_position == by_position[:, :1]).all(axis=1)
        return cls(weights, sizes, by_position * 10, same)

    def digits(self, blocks: np.ndarray, uniform: np.ndarray) -> np.ndarray:
        """An (n, length) array of ASCII digits: the ``uniform``-th share of each block."""
        weight = self.weights[0] if len(self.weights) == 1 else self.weights[blocks]
        rest = (uniform * weight).astype(np.int64)
        out = np.empty((len(blocks), self.sizes.shape[0]), dtype=np.uint8)
        for j in range(self.sizes.shape[0] - 1, -1, -1):
            if self.same[j]:
                size, offset = int(self.sizes[j, 0]), int(self.offsets[j, 0])
                if size == 1:
                    out[:, j] = FLAT_DIGITS[offset]
                    continue
                rest, index = np.divmod(rest, size)
                out[:, j] = index + 48 if size == 10 else FLAT_DIGITS[offset + index]
            else:
                rest, index = np.divmod(rest, self.sizes[j][blocks])
                out[:, j] = FLAT_DIGITS[self.offsets[j][blocks] + index]
        return out


GUIDE_PER_BLOCK = 8  # guide entries per block: most lookups land on their block or the next


@dataclass(frozen=True)
class BlockGuide:
    """Finds each uniform value's block (``searchsorted(cumulative, u, side="right")``, the
    same answer) faster for many values: a guide table says, for each of ``size`` equal slices
    of [0, 1), how many blocks end at or before the slice before it, so each value starts at
    most a step or two below its block and steps up, all values at once."""

    cumulative: np.ndarray  # (blocks,) float64, the last 1.0
    starts: np.ndarray  # (size,) intp: blocks ending at or before (k - 1) / size; 0 for k = 0

    @classmethod
    def of(cls, cumulative: np.ndarray) -> BlockGuide:
        size = GUIDE_PER_BLOCK * len(cumulative)
        below = np.searchsorted(cumulative, np.arange(size - 1) / size, side="right")
        # Slice k starts from slice k - 1's count: u * size may round up to k when u is just
        # below k / size, and a start must never pass the block u belongs to.
        return cls(cumulative, np.concatenate(([0], below)).astype(np.intp))

    def blocks(self, uniform: np.ndarray) -> np.ndarray:
        last = len(self.cumulative) - 1
        found = self.starts[(uniform * len(self.starts)).astype(np.intp)]
        np.minimum(found, last, out=found)
        while True:
            behind = self.cumulative[found] <= uniform
            behind &= found < last
            if not behind.any():
                return found
            found += behind


@dataclass
class LengthTable:
    length: int
    total: int
    number_type: int  # what phonenumbers.number_type reports for every number of this table
    region: str  # what phonenumbers.region_code_for_number reports for every number of it
    language: Language
    masks: np.ndarray | None  # (blocks, length) uint16 digit masks; None: walk the automaton
    cumulative: list[int]  # running block weights, for exact integer sampling
    cumulative_f: np.ndarray | None  # the same as probabilities, for vectorised sampling
    _radix: Radix | None = field(default=None, repr=False)  # made on the first bulk draw
    _guide: BlockGuide | None = field(default=None, repr=False)  # likewise

    def draw(self, rng: random.Random) -> str:
        if self.masks is None:
            return self._walk(rng)
        pick = rng.randrange(self.total)
        row = self.masks[bisect.bisect_right(self.cumulative, pick)]
        out = []
        for mask in row.tolist():
            choices = digits_of(mask)
            out.append(choices[rng.randrange(len(choices))])
        return "".join(map(str, out))

    def _walk(self, rng: random.Random) -> str:
        lang = self.language
        state = lang.start
        out: list[str] = []
        for remaining in range(self.length, 0, -1):
            pick = rng.randrange(lang.count(state, remaining))
            for mask, nxt in lang.groups(state):
                per_digit = lang.count(nxt, remaining - 1)
                span = per_digit * mask.bit_count()
                if pick < span:
                    out.append(str(digits_of(mask)[pick // per_digit]))
                    state = nxt
                    break
                pick -= span
        return "".join(out)

    def draw_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` national numbers as an (n, length) array of ASCII digit bytes."""
        if self.masks is None or self.cumulative_f is None:
            seed = int(rng.integers(2**63))
            local = random.Random(seed)
            text = "".join(self._walk(local) for _ in range(n)).encode()
            return np.frombuffer(text, dtype=np.uint8).reshape(n, self.length)
        radix = self._radix
        if radix is None:
            radix = self._radix = Radix.of(self.masks)
        if len(self.masks) == 1:
            blocks = np.zeros(n, dtype=np.intp)
        else:
            guide = self._guide
            if guide is None:
                guide = self._guide = BlockGuide.of(self.cumulative_f)
            blocks = guide.blocks(rng.random(n))
        return radix.digits(blocks, rng.random(n))


MAX_REJECTIONS = 10_000


@dataclass
class NumberTable:
    region: str
    kind: str
    country_code: int
    lengths: list[LengthTable]
    own_region: bool = True
    # True when construction alone is not trusted: every number drawn is verified.
    checked: bool = False

    # Each length table's share of the draws (``lengths.weights``, split between the tables of
    # one length by their sizes), and the same as running sums for single draws.
    shares: list[float] = field(default_factory=list)
    cumulative: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.shares:
            self.shares = _shares(self.region, self.kind, self.lengths)
        self.cumulative = list(itertools.accumulate(self.shares))

    def accepts(self, nsn: str) -> bool:
        return self.type_of(nsn) is not None

    def type_of(self, nsn: str) -> int | None:
        """What phonenumbers.number_type says of ``nsn``, None when it is not a valid number of
        the table's kind (and region, for an own-region table)."""
        return exact_type(self.region, self.kind, nsn, own_region=self.own_region)

    def pick(self, rng: random.Random) -> LengthTable:
        index = bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
        return self.lengths[min(index, len(self.lengths) - 1)]

    def draw_nsn(self, rng: random.Random) -> str:
        for _ in range(MAX_REJECTIONS):
            nsn = self.pick(rng).draw(rng)
            if not self.checked or self.accepts(nsn):
                return nsn
        raise NoSuchNumbers(f"{self.region} {self.kind}: no valid number found")


def _shares(region: str, kind: str, tables: Sequence[LengthTable]) -> list[float]:
    desc = _desc(_metadata(region), KINDS[kind][0])
    example = desc.example_number if desc is not None else None
    by_length = weights(region, kind, [t.length for t in tables], example)
    totals: dict[int, int] = {}
    for t in tables:
        totals[t.length] = totals.get(t.length, 0) + t.total
    return [by_length[t.length] * t.total / totals[t.length] for t in tables]


def _length_table(
    language: Language, length: int, number_type: int, region: str
) -> LengthTable | None:
    total = language.total(length)
    if total == 0:
        return None
    blocks = language.blocks(length, BLOCK_LIMIT)
    if blocks is None:
        return LengthTable(length, total, number_type, region, language, None, [], None)
    masks = np.array(blocks, dtype=np.uint16).reshape(len(blocks), length)
    weights = [int(np.prod([bin(m).count("1") for m in row], dtype=object)) for row in blocks]
    cumulative = list(np.cumsum(np.array(weights, dtype=object)))
    cumulative_ints = [int(c) for c in cumulative]
    cumulative_f = np.array([c / total for c in cumulative_ints], dtype=np.float64)
    return LengthTable(
        length, total, number_type, region, language, masks, cumulative_ints, cumulative_f
    )


@dataclass(frozen=True)
class Strategy:
    """How strictly a table follows phonenumbers' rules; tried in order until one has numbers."""

    strict_type: bool  # fixed line excludes mobile ranges and vice versa
    own_region: bool  # exclude what another region of the same country code claims
    exact: bool  # apply every exclusion (False: the loose fallback, each number verified)


STRATEGIES = (
    Strategy(strict_type=True, own_region=True, exact=True),
    Strategy(strict_type=False, own_region=True, exact=True),
    # NANP toll-free, Jersey's UK-wide ranges...: valid numbers that libphonenumber attributes
    # to the main region of the shared country code. The output says which region that is.
    Strategy(strict_type=False, own_region=False, exact=True),
    Strategy(strict_type=False, own_region=False, exact=False),
)


def _build(region: str, kind: str, strategy: Strategy) -> list[LengthTable]:
    metadata = _metadata(region)
    attr = KINDS[kind][0]
    desc = _desc(metadata, attr)
    if desc is None:
        return []
    include = [
        _nfa(_general(metadata).national_number_pattern),
        _nfa(desc.national_number_pattern),
    ]
    if metadata.leading_digits and strategy.own_region:
        include.append(_nfa(metadata.leading_digits, prefix=True))
    exclude: list[NFA] = []
    if strategy.exact:
        exclude += _type_exclusions(metadata, kind, strategy.strict_type)
        exclude += _parsing_exclusions(metadata)
        if strategy.own_region:
            exclude += _region_exclusions(region, metadata)
    languages = _by_type(metadata, kind, include, exclude)
    tables = [
        _length_table(piece, n, number_type, piece_region)
        for n in _lengths(metadata, attr)
        for language, number_type in languages(n)
        for piece, piece_region in (
            [(language, region)]
            if strategy.own_region or not strategy.exact
            else _by_region(region, metadata, language, n)
        )
    ]
    return [t for t in tables if t is not None]


def _claims(region: str, metadata: PhoneMetadata, length: int) -> list[tuple[str, NFA]]:
    """For each region listed before ``region`` under its country code, the numbers of
    ``length`` digits it claims (``_region_code_for_number_from_list``): its leading digits,
    or any of its types' patterns that allow the length (the general pattern is their union)."""
    out: list[tuple[str, NFA]] = []
    for other_region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(
        metadata.country_code or 0, ()
    ):
        if other_region == region:
            break
        other = PhoneMetadata.metadata_for_region(other_region)
        if other is None:
            continue
        if other.leading_digits:
            out.append((other_region, _nfa(other.leading_digits, prefix=True)))
            continue
        if length not in (_general(other).possible_length or (length,)):
            continue
        patterns = [
            desc.national_number_pattern
            for attr, _ in KINDS.values()
            if (desc := _desc(other, attr)) is not None
            and length in (desc.possible_length or (length,))
        ]
        if patterns:
            out.append((other_region, _nfa("|".join(f"(?:{p})" for p in patterns))))
    return out


def _by_region(
    region: str, metadata: PhoneMetadata, language: Language, length: int
) -> list[tuple[Language, str]]:
    """A language of numbers valid for ``region``'s type that another region sharing its
    country code may claim, split by the region ``phonenumbers.region_code_for_number`` names:
    the first earlier region that claims a number, else ``region`` itself."""
    include = [m.nfa for m in language.include]
    exclude = [m.nfa for m in language.exclude]
    claims = _claims(region, metadata, length)
    pieces = [
        (Language([*include, claim], [*exclude, *(c for _, c in claims[:i])]), other)
        for i, (other, claim) in enumerate(claims)
    ]
    own = [_nfa(metadata.leading_digits, prefix=True)] if metadata.leading_digits else []
    pieces.append((Language([*include, *own], [*exclude, *(c for _, c in claims)]), region))
    return pieces


def _by_type(
    metadata: PhoneMetadata, kind: str, include: list[NFA], exclude: list[NFA]
) -> Callable[[int], list[tuple[Language, int]]]:
    """The language of each length split by the type phonenumbers reports for it
    (``_number_type_helper``): a fixed line that the mobile pattern also matches, at a length the
    mobile type allows, is FIXED_LINE_OR_MOBILE, and the other way round."""
    whole = Language(include, exclude)
    own = {"fixed_line": PhoneNumberType.FIXED_LINE, "mobile": PhoneNumberType.MOBILE}
    both = PhoneNumberType.FIXED_LINE_OR_MOBILE
    if kind not in own:
        (only,) = KINDS[kind][1]
        return lambda _: [(whole, only)]
    if metadata.same_mobile_and_fixed_line_pattern:
        return lambda _: [(whole, both)]
    other = _desc(metadata, "mobile" if kind == "fixed_line" else "fixed_line")
    if other is None:
        return lambda _: [(whole, own[kind])]
    other_nfa = _nfa(other.national_number_pattern)
    apart = Language(include, [*exclude, other_nfa])
    shared = Language([*include, other_nfa], exclude)
    other_lengths = set(other.possible_length or ()) or set(_general(metadata).possible_length)

    def split(length: int) -> list[tuple[Language, int]]:
        if length not in other_lengths:
            return [(whole, own[kind])]
        return [(apart, own[kind]), (shared, both)]

    return split


def region_of(country_code: int, nsn: str) -> str | None:
    """The region ``phonenumbers.region_code_for_number`` names for a number."""
    try:
        number = phonenumbers.parse(f"+{country_code}{nsn}", None)
    except phonenumbers.NumberParseException:
        return None
    found: str | None = phonenumbers.region_code_for_number(number)
    return found


def exact_type(region: str, kind: str, nsn: str, *, own_region: bool = True) -> int | None:
    """The type phonenumbers reports for ``nsn`` if it agrees that it is a valid ``kind`` number
    of ``region`` (or, without ``own_region``, of the region that shares its country code and
    claims it); None otherwise."""
    metadata = _metadata(region)
    try:
        number = phonenumbers.parse(f"+{metadata.country_code}{nsn}", None)
    except phonenumbers.NumberParseException:
        return None
    if (
        phonenumbers.national_significant_number(number) != nsn
        or (own_region and phonenumbers.region_code_for_number(number) != region)
        or not phonenumbers.is_valid_number(number)
    ):
        return None
    found = phonenumbers.number_type(number)
    return found if found in KINDS[kind][1] else None


def is_exact(region: str, kind: str, nsn: str, *, own_region: bool = True) -> bool:
    """Whether phonenumbers agrees that ``nsn`` is a valid ``kind`` number of ``region``."""
    return exact_type(region, kind, nsn, own_region=own_region) is not None


@cache
def table_for(region: str, kind: str) -> NumberTable:
    """The table for a region and kind, built once per process."""
    metadata = _metadata(region)
    if kind not in KINDS:
        raise NoSuchNumbers(f"unknown number type {kind!r}")
    for strategy in STRATEGIES:
        lengths = _build(region, kind, strategy)
        if lengths:
            table = NumberTable(
                region,
                kind,
                metadata.country_code or 0,
                lengths,
                own_region=strategy.own_region,
                checked=not strategy.exact,
            )
            table.checked = table.checked or not _self_check(table)
            return table
    raise NoSuchNumbers(f"{region} has no {kind.replace('_', ' ')} numbers")


def _self_check(table: NumberTable) -> bool:
    """Every sample valid, of the table's kind and of the type and region its length table
    says."""
    rng = random.Random(f"{table.region}/{table.kind}")
    for length in table.lengths:
        for _ in range(SELF_CHECK_SAMPLES // len(table.lengths) + 1):
            nsn = length.draw(rng)
            if table.type_of(nsn) != length.number_type:
                return False
            if region_of(table.country_code, nsn) != length.region:
                return False
    return True


def all_pairs() -> Sequence[tuple[str, str]]:
    return [(r, k) for r in sorted(phonenumbers.SUPPORTED_REGIONS) for k in kinds_for(r)]
