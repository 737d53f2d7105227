"""How often each national length occurs: the weights a table draws its lengths by.

A pattern that allows 5 to 15 digits does not mean that numbers of every length are equally common:
German fixed lines are mostly 10 or 11 digits long. A number is therefore drawn in two steps: a
national (significant) length from the weights below, then a number uniformly among the valid
numbers of that length.

The general rule follows libphonenumber's metadata: the type's example number is chosen by the
metadata's maintainers as a typical number, so its length is the most common (weight 1); another
allowed length weighs 1/4 one digit away from it, halving with each digit more (so the example's
length takes about half the draws, four fifths when one other length is allowed). Where
a regulator's numbering plan says more, the weights are set by hand below, with the plan named.
"""

from __future__ import annotations

from collections.abc import Sequence

# E.164 (ITU-T Rec. E.164, 11/2010, section 6): at most 15 digits, the country code included.
E164_MAX_DIGITS = 15

# Another length's weight is DECAY ** (1 + its distance in digits from the example's length).
DECAY = 0.5

# (region, kind) -> {national significant length: relative weight}. Lengths the table allows but
# the plan does not mention get a quarter of the smallest weight given.
BY_HAND: dict[tuple[str, str], dict[int, float]] = {
    # Germany, Bundesnetzagentur, "Nummernplan für Ortsnetzrufnummern" (Verfügung 25/2006): the
    # area code without its trunk 0 (2 to 5 digits) and the subscriber number together are at
    # most 11 digits, and new blocks are assigned so that they fill 10 or 11. The plan gives the
    # rule, not a census: the shares are our estimate, 10 and 11 digits for 70 % of numbers,
    # shorter legacy numbers (big cities' 7-digit subscriber numbers: 030 1234567) for the rest.
    ("DE", "fixed_line"): {10: 40, 11: 30, 9: 14, 8: 8, 7: 5, 6: 2, 5: 1},
    # Italy, AGCOM, "Piano di numerazione nazionale" (delibera 8/15/CIR): geographic numbers
    # keep their 0 and are 6 to 11 digits; the big districts (02 Milano, 06 Roma) use 10. The
    # plan gives the range, not a census: 10 digits for 55 % is our estimate.
    ("IT", "fixed_line"): {10: 55, 9: 20, 11: 8, 8: 9, 7: 5, 6: 3},
    # Italy, same plan: mobile numbers are 10 digits (3xx xxxxxxx); 9-digit ones are legacy.
    ("IT", "mobile"): {10: 95, 9: 5},
    # Japan needs none: Ministry of Internal Affairs and Communications, "電気通信番号計画"
    # (telecommunications numbering plan): fixed lines are always 10 digits with the trunk 0 (9
    # national) and mobiles 11 (10), which libphonenumber's metadata already says. Austria (RTR,
    # KEM-V) publishes ranges without lengths per number: the general rule applies there.
}


def weights(
    region: str, kind: str, lengths: Sequence[int], example: str | None
) -> dict[int, float]:
    """A probability per length in ``lengths`` (which must not be empty)."""
    available = sorted(set(lengths))
    by_hand = BY_HAND.get((region, kind))
    if by_hand:
        floor = min(by_hand.values()) / 4
        raw = {n: by_hand.get(n, floor) for n in available}
    else:
        raw = _general(available, len(example) if example else None)
    total = sum(raw.values())
    return {n: w / total for n, w in raw.items()}


def _general(available: list[int], example: int | None) -> dict[int, float]:
    if example is None:
        return dict.fromkeys(available, 1.0)
    # The example's length, or the allowed length nearest to it (shorter first).
    mode = min(available, key=lambda n: (abs(n - example), n))
    return {n: 1.0 if n == mode else DECAY ** (1 + abs(n - mode)) for n in available}
