"""What a column holds: every mapped column says, in its ``info``, whether it keeps personal data
and of which category of the privacy inventory (``ringfence.privacy.inventory``), so the
sweeper, the rights requests and the policy can find it. A test fails on a column that says
nothing."""

from __future__ import annotations

from typing import Any

PERSONAL_DATA = "personal_data"


def personal(category: str) -> dict[str, Any]:
    """Column ``info`` for a column holding personal data of ``category``."""
    return {PERSONAL_DATA: category}


NOT_PERSONAL: dict[str, Any] = {PERSONAL_DATA: None}
