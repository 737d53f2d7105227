"""Number ranges that regulators reserve for drama, documentation and testing.

A number drawn in fiction mode comes only from here, so it can never ring a real person. Each
range carries the regulator's document it comes from. Ranges are national significant numbers
(no trunk prefix, no country code), inclusive. Some of them are not "valid" by libphonenumber
(its metadata follows live allocations, not reservations); every generated number reports both.

Countries without a confirmed reservation are absent, and fiction mode refuses them rather than
return a number that might belong to someone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

import phonenumbers

from ringfence.services.numbers.automaton import Language
from ringfence.services.numbers.tables import NoSuchNumbers, table_for

OFCOM = (
    "Ofcom, 'Telephone numbers for use in TV and radio drama programmes' "
    "(https://www.ofcom.org.uk/phones-and-broadband/phone-numbers/numbers-for-drama)"
)
BNETZA = (
    "Bundesnetzagentur, Mitteilung Nr. 148/2021, Amtsblatt 7/2021 p. 489, "
    "'Rufnummern für Medienproduktionen (Drama Numbers)'"
)
ACMA = (
    "ACMA, 'Phone numbers for use in TV shows, films and creative works' "
    "(https://www.acma.gov.au/phone-numbers-use-tv-shows-films-and-creative-works)"
)
PTS = (
    "PTS (Post- och telestyrelsen), 'Telefonnummer för fiktiva ändamål' (numbers for fictional "
    "use, 2020, https://www.pts.se): mobile 070-174 06 05 to 070-174 06 99; fixed lines in "
    "Stockholm, Göteborg, Malmö and Kiruna"
)
COMREG = (
    "ComReg, National Numbering Conventions: the 020 91 range (020 91x xxxx) is reserved for "
    "use in drama and is never assigned (https://www.comreg.ie)"
)
ARCEP = (
    "Arcep, decision no. 2018-0881 establishing the national numbering plan, annex 1, "
    "article 2.5.12: numbers allocated to audiovisual works, 01 99 00, 02 61 91, 03 53 01, "
    "04 65 71, 05 36 49 and 06 39 98 followed by four digits "
    "(https://www.legifrance.gouv.fr/jorf/article_jo/JORFARTI000037263033; cited by the State's "
    "design system, https://www.systeme-de-design.gouv.fr/version-courante/fr/modeles/"
    "blocs-fonctionnels/numero-de-telephone)"
)
NANPA = (
    "NANPA, 555 NXX line numbers: 555-0100 through 555-0199 are reserved for fictitious use "
    "in every NANP area code (https://nationalnanpa.com/number_resource_info/555_numbers.html)"
)
NANPA_TOLL_FREE = "NANPA / SMS/800: 1-800-555-0199 is the toll-free number reserved for fiction"

# Each source's regulator and what it reserves the numbers for, as a person would say it.
RESERVED_FOR: dict[str, tuple[str, str]] = {
    OFCOM: ("drama", "Ofcom"),
    BNETZA: ("media productions", "the Bundesnetzagentur"),
    ACMA: ("TV shows, films and creative works", "ACMA"),
    PTS: ("fiction", "PTS"),
    COMREG: ("drama", "ComReg"),
    ARCEP: ("audiovisual works", "Arcep"),
    NANPA: ("fiction", "NANPA"),
    NANPA_TOLL_FREE: ("fiction", "NANPA"),
}


@dataclass(frozen=True)
class FictionalRange:
    region: str
    first: str
    last: str
    kind: str
    source: str
    place: str = ""

    @property
    def size(self) -> int:
        return int(self.last) - int(self.first) + 1

    def contains(self, nsn: str) -> bool:
        return len(nsn) == len(self.first) and self.first <= nsn <= self.last

    def note(self, valid: bool) -> str:
        """Who reserves the number and for what; and, when libphonenumber calls it invalid, why."""
        purpose, regulator = RESERVED_FOR[self.source]
        text = f"reserved for {purpose} by {regulator}"
        if not valid:
            text += (
                "; libphonenumber does not validate it: its metadata lists the ranges in "
                "service, and a reserved range is never in service"
            )
        return text

    def draw(self, rng: random.Random) -> str:
        value = int(self.first) + rng.randrange(self.size)
        return str(value).zfill(len(self.first))


def _block(
    region: str, prefix: str, digits: int, kind: str, source: str, place: str = ""
) -> FictionalRange:
    return FictionalRange(region, prefix + "0" * digits, prefix + "9" * digits, kind, source, place)


def _single(region: str, nsn: str, kind: str, source: str) -> FictionalRange:
    return FictionalRange(region, nsn, nsn, kind, source)


_UK_CITIES = {
    "113": "Leeds",
    "114": "Sheffield",
    "115": "Nottingham",
    "116": "Leicester",
    "117": "Bristol",
    "118": "Reading",
    "121": "Birmingham",
    "131": "Edinburgh",
    "141": "Glasgow",
    "151": "Liverpool",
    "161": "Manchester",
}

# ACMA's thirty mobile numbers, 0491 57x xxx, by their last five digits.
_AU_MOBILES = tuple(
    "70006 70156 70157 70158 70159 70110 70313 70737 71266 71491 71804 72549 72665 72983 "
    "73770 73087 74118 74632 75254 75789 76398 76801 77426 77644 78957 78148 78888 "
    "79212 79760 79455".split()
)

FIXED_RANGES: tuple[FictionalRange, ...] = (
    # United Kingdom (Ofcom).
    *(
        _block("GB", code + "4960", 3, "fixed_line", OFCOM, city)
        for code, city in _UK_CITIES.items()
    ),
    _block("GB", "1914980", 3, "fixed_line", OFCOM, "Tyneside"),
    _block("GB", "2079460", 3, "fixed_line", OFCOM, "London"),
    _block("GB", "2920180", 3, "fixed_line", OFCOM, "Cardiff"),
    FictionalRange("GB", "2896496000", "2896496999", "fixed_line", OFCOM, "Belfast"),
    _block("GB", "1632960", 3, "fixed_line", OFCOM, "no area"),
    _block("GB", "7700900", 3, "mobile", OFCOM),
    _block("GB", "8081570", 3, "toll_free", OFCOM),
    _block("GB", "9098790", 3, "premium_rate", OFCOM),
    _block("GB", "3069990", 3, "uan", OFCOM),
    # Germany (Bundesnetzagentur).
    _block("DE", "3023125", 3, "fixed_line", BNETZA, "Berlin"),
    _block("DE", "6990009", 3, "fixed_line", BNETZA, "Frankfurt am Main"),
    _block("DE", "4066969", 3, "fixed_line", BNETZA, "Hamburg"),
    _block("DE", "2214710", 3, "fixed_line", BNETZA, "Köln"),
    _block("DE", "8999998", 3, "fixed_line", BNETZA, "München"),
    _single("DE", "15228817386", "mobile", BNETZA),
    # Australia (ACMA).
    *(
        _block("AU", area + prefix, 4, "fixed_line", ACMA, place)
        for area, place in (("2", "NSW/ACT"), ("3", "VIC/TAS"), ("7", "QLD"), ("8", "SA/WA/NT"))
        for prefix in ("5550", "7010")
    ),
    *(_single("AU", "4915" + tail, "mobile", ACMA) for tail in _AU_MOBILES),
    _single("AU", "1800160401", "toll_free", ACMA),
    FictionalRange("AU", "1800975707", "1800975711", "toll_free", ACMA),
    FictionalRange("AU", "1300975707", "1300975711", "shared_cost", ACMA),
    _single("AU", "1900654321", "premium_rate", ACMA),
    # Sweden (PTS).
    FictionalRange("SE", "701740605", "701740699", "mobile", PTS),
    FictionalRange("SE", "846500400", "846500499", "fixed_line", PTS, "Stockholm"),
    FictionalRange("SE", "313900600", "313900699", "fixed_line", PTS, "Göteborg"),
    FictionalRange("SE", "406280400", "406280499", "fixed_line", PTS, "Malmö"),
    FictionalRange("SE", "980319200", "980319299", "fixed_line", PTS, "Kiruna"),
    # Ireland (ComReg).
    _block("IE", "2091", 5, "mobile", COMREG),
    # France (Arcep): one block of 10,000 per geographic zone (01 to 05) and one mobile.
    *(
        _block("FR", prefix, 4, "fixed_line", ARCEP, zone)
        for prefix, zone in (
            ("19900", "Île-de-France"),
            ("26191", "North-West"),
            ("35301", "North-East"),
            ("46571", "South-East"),
            ("53649", "South-West"),
        )
    ),
    _block("FR", "63998", 4, "mobile", ARCEP),
)

NANP_REGIONS = tuple(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]))
NANP_LISTED = ("US", "CA", *(r for r in NANP_REGIONS if r not in ("US", "CA")))  # as listed


@cache
def _area_codes(region: str) -> tuple[str, ...]:
    """The region's geographic NANP area codes, read from its fixed-line automaton."""
    table = table_for(region, "fixed_line")
    lang: Language = table.lengths[0].language
    codes: list[str] = []

    def walk(state: tuple[frozenset[int], ...], prefix: str) -> None:
        if len(prefix) == 3:
            if lang.count(state, 7) > 0:
                codes.append(prefix)
            return
        for mask, nxt in lang.groups(state):
            for digit in range(10):
                if mask >> digit & 1:
                    walk(nxt, prefix + str(digit))

    walk(lang.start, "")
    return tuple(codes)


@cache
def ranges_for(region: str) -> tuple[FictionalRange, ...]:
    if region in NANP_REGIONS:
        try:
            codes = _area_codes(region)
        except NoSuchNumbers:
            codes = ()
        geographic = tuple(
            FictionalRange(region, code + "5550100", code + "5550199", "fixed_line", NANPA)
            for code in codes
        )
        return (*geographic, _single(region, "8005550199", "toll_free", NANPA_TOLL_FREE))
    return tuple(r for r in FIXED_RANGES if r.region == region)


def fiction_regions() -> list[str]:
    return sorted({r.region for r in FIXED_RANGES} | set(NANP_REGIONS))


@dataclass(frozen=True)
class Reservation:
    """One regulator's reservation, as the page lists it."""

    regulator: str
    purpose: str
    regions: tuple[str, ...]
    kinds: tuple[str, ...]
    sources: tuple[str, ...]
    validates: str  # "yes", "some" or "no": whether libphonenumber calls its numbers valid
    plan: str = ""  # the numbering plan the countries share, if they share one


def _valid(region: str, nsn: str) -> bool:
    cc = phonenumbers.country_code_for_region(region)
    return phonenumbers.is_valid_number(phonenumbers.parse(f"+{cc}{nsn}", None))


@cache
def reservations() -> tuple[Reservation, ...]:
    """Every regulator's reservation: the countries, the types of number and the documents.

    The NANP's ranges are listed without building each region's area codes: 555-0100 to
    555-0199 in every geographic area code (shown by one in 201) and 800-555-0199."""
    samples = [*FIXED_RANGES, FictionalRange("US", "2015550100", "2015550199", "fixed_line", NANPA)]
    samples.append(_single("US", "8005550199", "toll_free", NANPA_TOLL_FREE))
    grouped: dict[str, list[FictionalRange]] = {}
    for reserved in samples:
        grouped.setdefault(RESERVED_FOR[reserved.source][1], []).append(reserved)
    out = []
    for regulator, ranges in grouped.items():
        valid = {_valid(r.region, r.first) for r in ranges}
        nanp = ranges[0].source in (NANPA, NANPA_TOLL_FREE)
        out.append(
            Reservation(
                regulator=regulator.removeprefix("the "),
                purpose=RESERVED_FOR[ranges[0].source][0],
                regions=NANP_LISTED if nanp else tuple(dict.fromkeys(r.region for r in ranges)),
                kinds=tuple(dict.fromkeys(r.kind for r in ranges)),
                sources=tuple(dict.fromkeys(r.source for r in ranges)),
                validates="some" if len(valid) == 2 else ("yes" if True in valid else "no"),
                plan="North American Numbering Plan" if nanp else "",
            )
        )
    return tuple(out)


def regulator_for(region: str) -> str:
    """The regulator (or regulators) reserving ``region``'s fiction ranges, by name."""
    names = dict.fromkeys(
        RESERVED_FOR[r.source][1].removeprefix("the ") for r in ranges_for(region)
    )
    return "; ".join(names)


def find_range(region: str, nsn: str) -> FictionalRange | None:
    for candidate in ranges_for(region):
        if candidate.contains(nsn):
            return candidate
    return None
