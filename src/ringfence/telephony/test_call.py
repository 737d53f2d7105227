"""The operator's test call: does a carrier really carry a call? Placed through the outbound
gate like any other (the dialling policy and the caller-ID rule apply), it rings the number the
operator typed, hangs up as soon as it is answered, and reports what the carrier said."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ringfence.telephony.dialing import Number
from ringfence.telephony.gate import AnyNumber, Caller, OutboundGate, Placement

RING_SECONDS = 20.0
# Beyond the ring time: a carrier that never answers the INVITE at all ends by Timer B.
GRACE_SECONDS = 40.0


@dataclass(frozen=True)
class TestCallResult:
    carrier: str | None
    answered: bool
    status: int | None  # the final SIP status, when the carrier sent one
    outcome: str  # answered | busy | no_answer | rejected | cancelled | ...
    detail: str
    steps: tuple[str, ...]  # the call's events, such as "ringing 180"


async def test_call(
    gate: OutboundGate, number: Number, *, ring_seconds: float = RING_SECONDS
) -> TestCallResult:
    call = await gate.place(
        number,
        Caller("operator"),
        AnyNumber(),
        placement=Placement(ring_timeout=ring_seconds, max_duration=5),
    )
    steps: list[str] = []
    status: int | None = None
    outcome, detail = "no_answer", ""
    try:
        async with asyncio.timeout(ring_seconds + GRACE_SECONDS):
            async for event in call.events():
                steps.append(f"{event.kind} {event.status}" if event.status else event.kind)
                if event.kind == "answered":
                    await call.hangup()
                elif event.kind == "ended":
                    status = event.status
                    outcome, detail = event.reason or "ended", event.detail
    except TimeoutError:
        await call.hangup()
        detail = "the carrier did not answer the call attempt in time"
    answered = call.answered_at is not None
    return TestCallResult(
        carrier=call.carrier,
        answered=answered,
        status=status,
        outcome="answered" if answered else outcome,
        detail=detail,
        steps=tuple(steps),
    )
