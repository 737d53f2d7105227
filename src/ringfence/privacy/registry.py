"""Where capabilities and services declare their categories: each module exports
``CATEGORIES``."""

SERVICE_PRIVACY_MODULES: tuple[str, ...] = (
    "ringfence.telephony.privacy",
    "ringfence.abuse.privacy",
    "ringfence.accounts.privacy",
    "ringfence.billing.privacy",
    "ringfence.tenants.privacy",
    "ringfence.services.ring.privacy",
    "ringfence.services.dial.privacy",
    "ringfence.services.roulette.privacy",
    "ringfence.services.agents.privacy",
    "ringfence.services.numbers.privacy",
)
