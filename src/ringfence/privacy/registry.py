"""Where capabilities and services declare their categories: each module exports
``CATEGORIES``."""

SERVICE_PRIVACY_MODULES: tuple[str, ...] = (
    "ringfence.telephony.privacy",
    "ringfence.services.numbers.privacy",
)
