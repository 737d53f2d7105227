"""The shapes of the Stripe events billing applies, checked before anything is applied.

A correctly signed event is still data from outside: an event whose shape is not what Stripe
documents (a string where an object is expected, an amount that is not a whole number of cents,
a missing id or metadata) is refused as a whole, with a message, and nothing is applied. Strings
are bounded and free of control characters (PostgreSQL cannot store a NUL in ``text``).
Only the fields billing reads are checked; Stripe's others pass unread (``extra="ignore"``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, ValidationError

from ringfence.errors import BadRequest

# Printable ASCII only: Stripe's ids, types and currency codes are.
StripeId = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=255,
                                            pattern=r"^[\x21-\x7e]+$")]  # fmt: skip
Cents = Annotated[StrictInt, Field(ge=0, le=10**12)]
KINDS = ("checkout.session.completed", "charge.refunded", "charge.dispute.created")


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class EventData(_Shape):
    object: dict[str, Any]


class Event(_Shape):
    id: StripeId
    type: StripeId
    data: EventData


class Metadata(_Shape):
    account: StripeId | None = None


class CheckoutSession(_Shape):
    """``checkout.session.completed``: who paid (metadata, else the reference) and how much."""

    id: StripeId
    payment_status: StripeId
    amount_total: Cents
    currency: Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Za-z]{3}$")]
    metadata: Metadata
    client_reference_id: StripeId | None = None
    payment_intent: StripeId | None = None

    @property
    def account(self) -> str | None:
        return self.metadata.account or self.client_reference_id


class Refund(_Shape):
    """``charge.refunded``: the total refunded so far on the charge's payment."""

    payment_intent: StripeId
    amount_refunded: Cents


class Dispute(_Shape):
    """``charge.dispute.created``: the disputed amount of the payment."""

    payment_intent: StripeId
    amount: Cents


Shape = TypeVar("Shape", bound=_Shape)


def parse_event(payload: bytes) -> Event:
    try:
        document = json.loads(payload)
    except (ValueError, RecursionError):
        raise BadRequest("the Stripe event is not JSON") from None
    return _validated(Event, document, "the Stripe event")


def parse_object(shape: type[Shape], event: Event) -> Shape:
    return _validated(shape, event.data.object, f"the {event.type} event's object")


def _validated(shape: type[Shape], document: Any, what: str) -> Shape:
    try:
        return shape.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "(the whole)"
        raise BadRequest(f"{what} is malformed: {where}: {first.get('msg', 'invalid')}") from None
