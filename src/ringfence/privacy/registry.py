"""Where the categories of the inventory are declared: the core's capabilities each in their
``privacy`` module, the installed services in the module their manifest names. Each exports
``CATEGORIES`` and may export ``ERASERS``, ``RELEASERS`` and ``processors(settings)`` (who outside
the installation receives which categories, as configured)."""

from __future__ import annotations

from ringfence import composition

CORE_PRIVACY_MODULES: tuple[str, ...] = (
    "ringfence.telephony.privacy",
    "ringfence.abuse.privacy",
    "ringfence.accounts.privacy",
    "ringfence.billing.privacy",
    "ringfence.tenants.privacy",
)


def privacy_modules() -> list[str]:
    """The core's and every installed service's (a disabled service's data is still swept)."""
    return [*CORE_PRIVACY_MODULES, *composition.privacy_modules(composition.installed())]
