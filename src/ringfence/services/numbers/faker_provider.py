"""A Faker provider, so Faker users switch with one line::

    fake.add_provider(ringfence.services.numbers.FakerProvider)
    fake.valid_phone_number()              # valid for the locale's country
    fake.fictional_phone_number("GB")      # reserved for drama: never rings anyone
    fake.phone_number()                    # Faker's own method, now valid: "020 7946 0321"

Randomness comes from Faker's own generator, so ``Faker.seed()`` makes the output reproducible.
"""

from __future__ import annotations

import phonenumbers
from faker.providers import BaseProvider

from ringfence.services.numbers.generator import NumberGenerator, Request, fictional_ranges

PHONE_PROVIDER = "faker.providers.phone_number"


class FakerProvider(BaseProvider):
    def _region(self, region: str | None, fiction: bool) -> str:
        if region:
            return region.upper()
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

    def _draw(self, request: Request) -> str:
        return NumberGenerator(rng=self.generator.random).e164(request)

    def valid_phone_number(self, region: str | None = None, type: str | None = None) -> str:  # noqa: A002
        """An E.164 number valid for ``region`` (default: the locale's country)."""
        return self._draw(Request(self._region(region, False), type))

    def fictional_phone_number(self, region: str | None = None, type: str | None = None) -> str:  # noqa: A002
        """An E.164 number from a range the regulator reserves for fiction."""
        return self._draw(Request(self._region(region, True), type, safe=True))

    def phone_number(self) -> str:
        """Faker's ``phone_number()``, valid: a number of the locale's country in its national
        format (as the locale writes it: ``020 7946 0321`` in en_GB, ``(415) 555-0132`` in
        en_US), mobile or fixed line."""
        e164 = self._draw(Request(self._region(None, False), None))
        national = phonenumbers.PhoneNumberFormat.NATIONAL
        return phonenumbers.format_number(phonenumbers.parse(e164, None), national)
