"""What the dialler decides, as pure functions of a campaign's state at one moment.

No database, no clock, no tasks: the dialler (``dialler``) reads the state under its lock, asks
here, and writes what was decided. How many calls a slice may claim under the concurrency cap and
the rate, when each may be dialled, whether a call whose attempt ended is retried and when, when a
hold has lapsed and what becomes of its call, and how long a slice waits before it looks again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

RETRIED = ("busy", "no_answer", "machine", "failed")
# The callee picked up, then our side failed (no media, a crash in the agent): they may have
# heard nothing, but they answered, and a campaign calls a contact once an attempt.
FAILED_AFTER_ANSWER = "failed_after_answer"
CALL_BACK = "call_back"  # the contact asked to be called back, and the agent promised a time
# someone picked up
ANSWERED = ("answered", "opted_out", "message_left", CALL_BACK, FAILED_AFTER_ANSWER)
TEMPORARY = (408, 480, 500, 503, 504)  # rejections worth a retry
LOOKAHEAD = 2.0  # seconds of dials (at the campaign's rate) a slice claims at a time
INTERRUPTED = "the worker placing the call stopped; it is not dialled again"
NOT_AGAIN = "answered, then the call failed on our side; it is not dialled again"
CALLED_BACK = "asked to be called back: dialled again then"


@dataclass(frozen=True)
class RetryPolicy:
    """A campaign's retries: ``max_attempts`` dials in all, ``seconds`` apart, the delay
    multiplied by ``backoff`` after each further attempt."""

    max_attempts: int
    seconds: float
    backoff: float

    def delay(self, attempts: int) -> float:
        """Seconds before the next dial of a call that has had ``attempts`` dials."""
        return float(self.seconds * self.backoff ** max(0, attempts - 1))


@dataclass(frozen=True)
class CampaignState:
    """What a claim decision needs of a campaign, read under its lock at ``now``."""

    now: dt.datetime
    max_concurrent: int
    calls_per_second: float
    slices: int  # dialling jobs sharing the campaign
    inflight: int  # calls being dialled, by any worker
    mine: int  # calls this worker holds
    next_dial_at: dt.datetime | None  # the earliest time the next dial may be reserved

    @property
    def gap(self) -> dt.timedelta:
        return dial_gap(self.calls_per_second)


@dataclass(frozen=True)
class Capacity:
    free: int  # calls the slice may claim now
    limited: bool  # more were free than the rate lets a slice claim at once


@dataclass(frozen=True)
class Next:
    """What becomes of a call: its state, when it is due again and why, when it waits."""

    state: str  # pending | retry | done | refused | interrupted
    next_at: dt.datetime | None = None
    reason: str | None = None


def capacity(state: CampaignState) -> Capacity:
    """How many calls a slice may claim: its share of the concurrency cap (so every slice of
    the campaign dials) within what the cap leaves, and no more than ``LOOKAHEAD`` seconds of
    dials at the campaign's rate."""
    share = -(-state.max_concurrent // state.slices)
    free = min(state.max_concurrent - state.inflight, share - state.mine)
    ahead = max(1, int(state.calls_per_second * LOOKAHEAD))
    if free > ahead:
        return Capacity(ahead, True)
    return Capacity(free, False)


def dial_gap(calls_per_second: float) -> dt.timedelta:
    """The spacing of dials that holds a campaign's calls per second."""
    return dt.timedelta(seconds=1 / calls_per_second)


def next_slot(now: dt.datetime, next_dial_at: dt.datetime | None) -> dt.datetime:
    """When the next dial may go: now, or the slot after the last one any worker reserved."""
    return max(now, next_dial_at or now)


def turn_passed(dial_at: dt.datetime, now: dt.datetime, calls_per_second: float) -> bool:
    """A claimed call whose agent was ready more than one gap after its slot takes a new one."""
    return (now - dial_at).total_seconds() > 1 / calls_per_second


def lease_end(now: dt.datetime, lease_seconds: float) -> dt.datetime:
    return now + dt.timedelta(seconds=lease_seconds)


def lapsed(lease_until: dt.datetime | None, now: dt.datetime) -> bool:
    """A hold its worker stopped renewing (a hold without an end has not lapsed)."""
    return lease_until is not None and lease_until < now


def reaped(attempts: int, dialled: bool) -> Next:
    """A call whose hold lapsed: interrupted when its attempt was recorded (the INVITE may have
    left, so it is never dialled again); else back to the queue as it was."""
    if dialled:
        return Next("interrupted", reason=INTERRUPTED)
    return Next(waiting(attempts))


def waiting(attempts: int) -> str:
    """The state of an open call: never dialled, or to be dialled again."""
    return "pending" if attempts == 0 else "retry"


def released(attempts: int, error: str, retry: RetryPolicy, now: dt.datetime) -> Next:
    """A claimed call that was not dialled: back to the queue, after the retry delay when
    preparing it failed (the database was busy, say)."""
    if not error:
        return Next(waiting(attempts))
    later = now + dt.timedelta(seconds=retry.delay(max(1, attempts)))
    return Next(waiting(attempts), later, f"not placed ({error}): tried again later")


def retried(outcome: str, sip_status: int | None) -> bool:
    """Whether an attempt's end is worth another: busy, no answer, a machine (when no message
    was left), a failure before an answer, or a temporary SIP rejection; never a call someone
    picked up."""
    if outcome in ANSWERED:
        return False
    return outcome in RETRIED or sip_status in TEMPORARY


def after_attempt(
    outcome: str,
    sip_status: int | None,
    attempts: int,
    retry: RetryPolicy,
    now: dt.datetime,
    call_back_at: dt.datetime | None = None,
) -> Next:
    """A dialled call's next state: dialled again at the time the contact asked for (even when
    the call failed after that promise); else retried after the backoff while attempts remain;
    else done. A call that failed after it was answered is never retried otherwise."""
    if call_back_at is not None:
        return Next("retry", max(call_back_at, now), CALLED_BACK)
    if retried(outcome, sip_status) and attempts < retry.max_attempts:
        later = now + dt.timedelta(seconds=retry.delay(attempts))
        return Next("retry", later, f"{outcome.replace('_', ' ')}: retried")
    if outcome == FAILED_AFTER_ANSWER:
        return Next("done", reason=NOT_AGAIN)
    return Next("done")


def look_again(
    now: dt.datetime, next_due: dt.datetime | None, next_lapse: dt.datetime | None
) -> float | None:
    """Seconds until a slice with nothing to dial needs a look again: its next call falls due,
    or another worker's hold lapses (a little after, so a dead worker's calls are reaped); None
    when neither will happen. A call due now that others hold the cap for, they dial as their
    calls end."""
    times = [t for t in (next_due, next_lapse) if t is not None and t > now]
    if not times:
        return None
    soonest = min(times)
    return (soonest - now).total_seconds() + (0.1 if soonest == next_lapse else 0)


def wait_for_calls(now: dt.datetime, next_due: dt.datetime | None, lease_seconds: float) -> float:
    """How long a slice with calls in progress waits for one to end before looking again: until
    the next call falls due, at most a third of a lease (to reap dead workers' holds in time)."""
    if next_due is None or next_due <= now:
        return lease_seconds / 3  # the cap is full: a call ending wakes the slice first
    return min(lease_seconds / 3, max(0.05, (next_due - now).total_seconds()))
