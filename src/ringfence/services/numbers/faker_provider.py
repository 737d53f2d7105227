"""A Faker provider, so Faker users switch with one line::

    fake.add_provider(ringfence.services.numbers.FakerProvider)
    fake.valid_phone_number()              # valid for the locale's country
    fake.fictional_phone_number("GB")      # reserved for drama: never rings anyone
    fake.phone_number()                    # Faker's own method, now valid: "020 7946 0321"

Randomness comes from Faker's own generator, so ``Faker.seed()`` makes the output reproducible
for the same sequence of calls. Numbers are drawn in bulk and handed out one by one
(``faker_singles``): about ten times as fast as Faker's own ``phone_number()`` per call.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

import phonenumbers
from faker.providers import BaseProvider

from ringfence.services.numbers.buffers import as_e164
from ringfence.services.numbers.faker_singles import Lane
from ringfence.services.numbers.generator import Request, fictional_ranges
from ringfence.services.numbers.national import NationalWriter

PHONE_PROVIDER = "faker.providers.phone_number"
LANES = 16  # buffers kept per provider (oldest evicted): bounded memory
# Where Faker's Generator keeps the random.Random its ``random`` property returns. Reading it
# from the generator's __dict__ costs a third of the property; were it ever renamed, the lookup
# finds nothing and every call takes the property's path (slower, as correct).
RANDOM_ATTRIBUTE = "_Generator__random"
NO_STATE: Mapping[str, Any] = MappingProxyType({})


@cache
def national_writer(country_code: int) -> NationalWriter:
    return NationalWriter(country_code)


class FakerProvider(BaseProvider):
    _regions: dict[bool, str] | None = None
    _lanes: dict[tuple[str | None, str | None, bool, str], Lane] | None = None
    _lanes_rng: random.Random | None = None
    _default_e164: Lane | None = None
    _default_national: Lane | None = None
    _state: Mapping[str, Any] = NO_STATE  # the generator's __dict__

    def _region(self, region: str | None, fiction: bool) -> str:
        if region:
            return region.upper()
        if self._regions is None:
            self._regions = {}  # the locale of a provider's generator never changes
        found = self._regions.get(fiction)
        if found is None:
            found = self._regions[fiction] = self._locale_region(fiction)
        return found

    def _locale_region(self, fiction: bool) -> str:
        locale = self._locale()
        country = locale.split("_")[-1].upper() if "_" in locale else "US"
        if country not in phonenumbers.SUPPORTED_REGIONS:
            return "US"
        if fiction:
            try:
                fictional_ranges(country, None)
            except LookupError:
                return "US"
        return country

    def _locale(self) -> str:
        # Faker keeps the locale of each generator on its providers' ``__lang__``; a provider the
        # locale lacks falls back to en_US, so the phone provider's own locale comes first.
        providers = self.generator.get_providers()
        phone = [p for p in providers if getattr(p, "__provider__", "") == PHONE_PROVIDER]
        for provider in phone + providers:
            lang = getattr(provider, "__lang__", None)
            if lang:
                return str(lang)
        return "en_US"

    def _lane(self, region: str | None, kind: str | None, safe: bool, form: str = "e164") -> Lane:
        rng = self.generator.random
        self._state = vars(self.generator)
        lanes = self._lanes
        if lanes is None or self._lanes_rng is not rng:
            # seed_instance() gives the generator a random.Random of its own: follow it.
            lanes = self._lanes = {}
            self._lanes_rng = rng
        key = (region, kind, safe, form)
        lane = lanes.get(key)
        if lane is None:
            request = Request(self._region(region, safe), kind, safe)
            if form == "national":
                write = national_writer(phonenumbers.country_code_for_region(request.region))
                lane = Lane(rng, request, write.batch, write)
            else:
                lane = Lane(rng, request, as_e164, str)
            if len(lanes) >= LANES:
                del lanes[next(iter(lanes))]
            lanes[key] = lane
        return lane

    def valid_phone_number(self, region: str | None = None, type: str | None = None) -> str:  # noqa: A002
        """An E.164 number valid for ``region`` (default: the locale's country)."""
        if region is None and type is None:
            lane = self._default_e164  # the usual call: no key to build and look up
            if lane is not None and lane.rng is self._state.get(RANDOM_ATTRIBUTE):
                return lane.take()
            lane = self._default_e164 = self._lane(None, None, False)
            return lane.take()
        return self._lane(region, type, False).take()

    def fictional_phone_number(self, region: str | None = None, type: str | None = None) -> str:  # noqa: A002
        """An E.164 number from a range the regulator reserves for fiction."""
        return self._lane(region, type, True).take()

    def phone_number(self) -> str:
        """Faker's ``phone_number()``, valid: a number of the locale's country in its national
        format (as the locale writes it: ``020 7946 0321`` in en_GB, ``(415) 555-0132`` in
        en_US), mobile or fixed line."""
        lane = self._default_national
        if lane is not None and lane.rng is self._state.get(RANDOM_ATTRIBUTE):
            return lane.take()
        lane = self._default_national = self._lane(None, None, False, "national")
        return lane.take()
