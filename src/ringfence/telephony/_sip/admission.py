"""What the stack asks before it acts on a request from outside any dialog, and the answer.

The stack knows SIP; whom to trust is decided above it (``telephony/inbound.py``). A request
inside a dialog we hold (BYE, re-INVITE, INFO of an admitted call) is not asked about again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class InboundRequest:
    method: str  # upper case
    source: tuple[str, int]  # the address the request came from (not any header's claim)
    uri: str  # the Request-URI, as the digest ``uri`` parameter must repeat it
    call_id: str
    proxy_authorization: str | None


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)


# The trunk's name when admitted, or how to refuse.
Admit = Callable[[InboundRequest], "str | Refusal"]
