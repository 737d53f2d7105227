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
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import phonenumbers
from phonenumbers import PhoneMetadata

from ringfence.services.numbers.automaton import NFA, Language, compile_pattern, digits_of
from ringfence.services.numbers.kinds import KINDS, PRIORITY

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
    general = set(_general(metadata).possible_length or ())
    desc = _desc(metadata, attr)
    own = set(desc.possible_length or ()) if desc else set()
    return sorted((own or general) & general if general else own)


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


@dataclass
class LengthTable:
    length: int
    total: int
    language: Language
    masks: np.ndarray | None  # (blocks, length) uint16 digit masks; None: walk the automaton
    cumulative: list[int]  # running block weights, for exact integer sampling
    cumulative_f: np.ndarray | None  # the same as probabilities, for vectorised sampling

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
        blocks = np.searchsorted(self.cumulative_f, rng.random(n), side="right")
        blocks = np.minimum(blocks, len(self.masks) - 1)
        masks = self.masks[blocks]
        picks = (rng.random(masks.shape) * CLASS_SIZES[masks]).astype(np.int64)
        digits: np.ndarray = CLASS_DIGITS[masks, picks] + 48
        return digits


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

    def accepts(self, nsn: str) -> bool:
        return is_exact(self.region, self.kind, nsn, own_region=self.own_region)

    def draw_nsn(self, rng: random.Random) -> str:
        for _ in range(MAX_REJECTIONS):
            nsn = self.lengths[rng.randrange(len(self.lengths))].draw(rng)
            if not self.checked or self.accepts(nsn):
                return nsn
        raise NoSuchNumbers(f"{self.region} {self.kind}: no valid number found")


def _length_table(language: Language, length: int) -> LengthTable | None:
    total = language.total(length)
    if total == 0:
        return None
    blocks = language.blocks(length, BLOCK_LIMIT)
    if blocks is None:
        return LengthTable(length, total, language, None, [], None)
    masks = np.array(blocks, dtype=np.uint16).reshape(len(blocks), length)
    weights = [int(np.prod([bin(m).count("1") for m in row], dtype=object)) for row in blocks]
    cumulative = list(np.cumsum(np.array(weights, dtype=object)))
    cumulative_ints = [int(c) for c in cumulative]
    cumulative_f = np.array([c / total for c in cumulative_ints], dtype=np.float64)
    return LengthTable(length, total, language, masks, cumulative_ints, cumulative_f)


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
    language = Language(include, exclude)
    tables = [_length_table(language, n) for n in _lengths(metadata, attr)]
    return [t for t in tables if t is not None]


def is_exact(region: str, kind: str, nsn: str, *, own_region: bool = True) -> bool:
    """Whether phonenumbers agrees that ``nsn`` is a valid ``kind`` number of ``region`` (or,
    without ``own_region``, of the region that shares its country code and claims it)."""
    metadata = _metadata(region)
    try:
        number = phonenumbers.parse(f"+{metadata.country_code}{nsn}", None)
    except phonenumbers.NumberParseException:
        return False
    return (
        phonenumbers.national_significant_number(number) == nsn
        and (not own_region or phonenumbers.region_code_for_number(number) == region)
        and phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) in KINDS[kind][1]
    )


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
    rng = random.Random(f"{table.region}/{table.kind}")
    return all(
        table.accepts(length.draw(rng))
        for length in table.lengths
        for _ in range(SELF_CHECK_SAMPLES // len(table.lengths) + 1)
    )


def all_pairs() -> Sequence[tuple[str, str]]:
    return [(r, k) for r in sorted(phonenumbers.SUPPORTED_REGIONS) for k in kinds_for(r)]
