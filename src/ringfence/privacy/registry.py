"""Where services declare their categories: each module exports ``CATEGORIES``."""

SERVICE_PRIVACY_MODULES: tuple[str, ...] = ("ringfence.services.numbers.privacy",)
