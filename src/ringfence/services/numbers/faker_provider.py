"""A Faker provider, so Faker users switch with one line::

    fake.add_provider(ringfence.services.numbers.FakerProvider)
    fake.valid_phone_number()              # valid for the locale's country
    fake.fictional_phone_number("GB")      # reserved for drama: never rings anyone

Randomness comes from Faker's own generator, so ``Faker.seed()`` makes the output reproducible.
"""

from __future__ import annotations

from faker.providers import BaseProvider

from ringfence.services.numbers.generator import NumberGenerator, Request, fictional_ranges


class FakerProvider(BaseProvider):
    def _region(self, region: str | None, fiction: bool) -> str:
        if region:
            return region.upper()
        locale = self._locale()
        country = locale.split("_")[-1].upper() if "_" in locale else "US"
        if fiction:
            try:
                fictional_ranges(country, None)
            except LookupError:
                return "US"
        return country

    def _locale(self) -> str:
        # Faker keeps the locale of each generator on its providers' ``__lang__``.
        for provider in self.generator.get_providers():
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
