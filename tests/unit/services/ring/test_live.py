"""Who may cancel a ring: the holder of its token, while it rings, and nobody else."""

from __future__ import annotations

import pytest

from ringfence.errors import Conflict, Forbidden, NotFound
from ringfence.services.ring.live import LiveRings
from ringfence.telephony.progress import Progress


async def test_only_the_token_opens_a_ring_and_only_while_it_is_in_progress() -> None:
    rings = LiveRings()
    progress = Progress("ring-1", "visitor", "ring")
    await progress.step("ringing")
    live, token = rings.start(progress)
    assert len(token) >= 40 and token.encode() not in live.token_digest  # a hash is kept

    assert rings.for_cancel("ring-1", token) is live
    for wrong in ("", token[:-1], token + "x", "a" * len(token)):
        with pytest.raises(Forbidden, match="only the page that asked for this ring"):
            rings.for_cancel("ring-1", wrong)
    with pytest.raises(NotFound, match="no ring in progress"):
        rings.for_cancel("ring-2", token)

    await live.cancel()  # no call placed yet: marked, and _place hangs it up once placed
    assert live.cancelled
    with pytest.raises(Conflict, match="already ended"):
        rings.for_cancel("ring-1", token)


async def test_an_ended_ring_cannot_be_cancelled_and_tokens_differ() -> None:
    rings = LiveRings()
    first = Progress("a", "visitor", "ring")
    _, token = rings.start(first)
    _, other = rings.start(Progress("b", "visitor", "ring"))
    assert token != other
    with pytest.raises(Forbidden):
        rings.for_cancel("a", other)  # one ring's token opens no other ring
    await first.step("ended", outcome="no_answer")
    with pytest.raises(Conflict):
        rings.for_cancel("a", token)
