"""Numbers stay within E.164 and come in the lengths real numbers have."""

from __future__ import annotations

import random
from collections import Counter

import phonenumbers
import pytest

from ringfence.services.numbers.generator import NumberGenerator, Request
from ringfence.services.numbers.kinds import KINDS
from ringfence.services.numbers.lengths import BY_HAND, E164_MAX_DIGITS, weights
from ringfence.services.numbers.tables import all_pairs, table_for

PAIRS = all_pairs()


def _national_lengths(region: str, kind: str, count: int, seed: int) -> Counter[int]:
    lengths: Counter[int] = Counter()
    for batch in NumberGenerator(seed).bulk(Request(region, kind), count):
        for e164 in batch.tolist():
            number = phonenumbers.parse(e164.decode(), None)
            lengths[len(phonenumbers.national_significant_number(number))] += 1
    return lengths


def test_no_number_is_longer_than_e164_allows() -> None:
    """ITU-T E.164: at most 15 digits with the country code, for every region and type, and
    still valid by construction."""
    rng = random.Random(21)
    for region, kind in PAIRS:
        table = table_for(region, kind)
        cc_digits = len(str(table.country_code))
        assert max(t.length for t in table.lengths) + cc_digits <= E164_MAX_DIGITS, (region, kind)
        drawn = [f"+{table.country_code}{table.draw_nsn(rng)}" for _ in range(8)]
        for batch in NumberGenerator(rng.randrange(2**32)).bulk(Request(region, kind), 32):
            drawn += [b.decode() for b in batch.tolist()]
        for e164 in drawn:
            number = phonenumbers.parse(e164, None)
            nsn = phonenumbers.national_significant_number(number)
            assert len(str(number.country_code)) + len(nsn) <= E164_MAX_DIGITS, (region, e164)
            assert phonenumbers.is_valid_number(number), (region, kind, e164)
            assert phonenumbers.number_type(number) in KINDS[kind][1], (region, kind, e164)


def _real_mode(region: str, kind: str, allowed: list[int]) -> int | None:
    """The most common real length: the numbering plan's where we weight by hand, otherwise the
    length of libphonenumber's example number (None when the table cannot draw that length)."""
    by_hand = BY_HAND.get((region, kind))
    if by_hand:
        return max((n for n in by_hand if n in allowed), key=lambda n: by_hand[n])
    desc = getattr(phonenumbers.PhoneMetadata.metadata_for_region(region), KINDS[kind][0])
    example = desc.example_number if desc is not None else None
    return len(example) if example and len(example) in allowed else None


def test_the_most_common_length_is_the_real_one() -> None:
    checked = 0
    without_example = []
    for region, kind in PAIRS:
        allowed = sorted({t.length for t in table_for(region, kind).lengths})
        if len(allowed) == 1:
            continue
        expected = _real_mode(region, kind, allowed)
        if expected is None:
            without_example.append((region, kind))
            continue
        lengths = _national_lengths(region, kind, 1_500, seed=len(region) + len(kind))
        (mode, _), (_, second) = lengths.most_common(2)
        assert mode == expected, (region, kind, expected, lengths)
        if (region, kind) not in BY_HAND:  # the general rule: about half the draws or more
            assert lengths[mode] > 1.5 * second, (region, kind, lengths)
        checked += 1
    assert checked >= 150, checked
    # Regions whose example number is of a length the type's table cannot draw (its example is
    # claimed by another type, for instance) fall back to the nearest length: a handful.
    assert len(without_example) <= 10, without_example


def test_german_fixed_lines_are_mostly_10_or_11_digits() -> None:
    lengths = _national_lengths("DE", "fixed_line", 20_000, seed=49)
    assert (lengths[10] + lengths[11]) / 20_000 > 0.6, lengths
    assert lengths[10] > lengths[11] > lengths[9], lengths
    assert max(lengths) <= E164_MAX_DIGITS - 2


@pytest.mark.parametrize(
    ("region", "kind", "mode"),
    [("IT", "fixed_line", 10), ("IT", "mobile", 10), ("GB", "fixed_line", 10), ("AT", "mobile", 9)],
)
def test_weights_favour_the_real_length(region: str, kind: str, mode: int) -> None:
    allowed = [t.length for t in table_for(region, kind).lengths]
    desc = getattr(phonenumbers.PhoneMetadata.metadata_for_region(region), KINDS[kind][0])
    found = weights(region, kind, allowed, desc.example_number)
    assert abs(sum(found.values()) - 1) < 1e-9
    assert max(found, key=found.__getitem__) == mode
    assert found[mode] >= 0.5
