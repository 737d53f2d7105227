"""The dialler's decisions on their own: the cap and the rate a slice claims under, the spacing
of dials, retries with backoff up to the last attempt, lapsed holds, and how long a slice waits."""

from __future__ import annotations

import datetime as dt

from ringfence.services.agents.campaigns.decisions import (
    CALL_BACK,
    CALLED_BACK,
    FAILED_AFTER_ANSWER,
    INTERRUPTED,
    NOT_AGAIN,
    CampaignState,
    RetryPolicy,
    after_attempt,
    capacity,
    dial_gap,
    lapsed,
    look_again,
    next_slot,
    reaped,
    released,
    retried,
    turn_passed,
    wait_for_calls,
)

NOW = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
RETRY = RetryPolicy(max_attempts=3, seconds=60.0, backoff=2.0)


def _state(**changes: object) -> CampaignState:
    fields: dict[str, object] = {"now": NOW, "max_concurrent": 10, "calls_per_second": 1.0,
                                 "slices": 2, "inflight": 0, "mine": 0, "next_dial_at": None,
                                 **changes}  # fmt: skip
    return CampaignState(**fields)  # type: ignore[arg-type]


def _s(seconds: float) -> dt.datetime:
    return NOW + dt.timedelta(seconds=seconds)


def test_a_slice_claims_its_share_of_the_cap() -> None:
    # 10 calls at once over 2 slices: 5 each; at 5 calls a second, 10 would fit the look-ahead
    assert capacity(_state(calls_per_second=5.0)).free == 5
    assert capacity(_state(calls_per_second=5.0, mine=3, inflight=3)).free == 2
    # an odd cap rounds the share up, so the slices together may use all of it
    assert capacity(_state(max_concurrent=5, calls_per_second=5.0)).free == 3


def test_nothing_is_claimed_once_the_cap_is_reached() -> None:
    assert capacity(_state(inflight=10)).free <= 0
    assert capacity(_state(inflight=4, mine=5)).free <= 0  # its share is in use
    assert capacity(_state(max_concurrent=10, inflight=9, calls_per_second=5.0)).free == 1


def test_the_rate_limits_a_claim_to_two_seconds_of_dials() -> None:
    room = capacity(_state(max_concurrent=100, calls_per_second=2.0))
    assert (room.free, room.limited) == (4, True)
    slow = capacity(_state(max_concurrent=100, calls_per_second=0.1))
    assert (slow.free, slow.limited) == (1, True)  # at least one call, however slow the rate
    assert capacity(_state(max_concurrent=2, calls_per_second=2.0)).limited is False


def test_dials_are_spaced_by_the_rate_after_the_last_reservation() -> None:
    assert dial_gap(4.0) == dt.timedelta(seconds=0.25)
    assert _state(calls_per_second=0.5).gap == dt.timedelta(seconds=2)
    assert next_slot(NOW, None) == NOW
    assert next_slot(NOW, _s(3)) == _s(3)  # another worker reserved ahead
    assert next_slot(NOW, _s(-30)) == NOW  # a reservation in the past is not waited for


def test_a_call_ready_after_its_turn_takes_a_new_one() -> None:
    assert not turn_passed(NOW, _s(0.5), 1.0)
    assert not turn_passed(NOW, _s(1.0), 1.0)
    assert turn_passed(NOW, _s(1.01), 1.0)
    assert turn_passed(NOW, _s(0.3), 5.0)


def test_the_retry_delay_grows_by_the_backoff() -> None:
    assert [RETRY.delay(n) for n in (0, 1, 2, 3)] == [60.0, 60.0, 120.0, 240.0]
    assert RetryPolicy(3, 30.0, 1.0).delay(5) == 30.0


def test_busy_no_answer_machine_failed_and_temporary_rejections_are_retried() -> None:
    for outcome in ("busy", "no_answer", "machine", "failed"):
        assert retried(outcome, None)
    assert retried("rejected", 503) and retried("rejected", 480)
    assert not retried("rejected", 603)  # declined: final
    assert not retried("answered", 200) and not retried("opted_out", None)


def test_a_retried_call_waits_longer_each_attempt() -> None:
    first = after_attempt("busy", 486, 1, RETRY, NOW)
    assert (first.state, first.next_at, first.reason) == ("retry", _s(60), "busy: retried")
    second = after_attempt("no_answer", None, 2, RETRY, NOW)
    assert (second.state, second.next_at, second.reason) == ("retry", _s(120), "no answer: retried")


def test_the_last_attempt_is_final() -> None:
    last = after_attempt("busy", 486, 3, RETRY, NOW)
    assert (last.state, last.next_at, last.reason) == ("done", None, None)
    assert after_attempt("answered", 200, 1, RETRY, NOW).state == "done"


def test_a_call_that_failed_after_the_answer_is_never_retried() -> None:
    """Someone picked up (and may have heard nothing): one answered call per contact."""
    for status in (488, 200, 503, None):
        assert not retried(FAILED_AFTER_ANSWER, status)
        then = after_attempt(FAILED_AFTER_ANSWER, status, 1, RETRY, NOW)
        assert (then.state, then.next_at, then.reason) == ("done", None, NOT_AGAIN)


def test_a_call_back_is_dialled_at_the_promised_time_whatever_the_attempts() -> None:
    at = NOW + dt.timedelta(hours=20)
    for outcome, attempts in ((CALL_BACK, 1), (CALL_BACK, 3), (FAILED_AFTER_ANSWER, 1)):
        then = after_attempt(outcome, 200, attempts, RETRY, NOW, call_back_at=at)
        assert (then.state, then.next_at, then.reason) == ("retry", at, CALLED_BACK)
    assert not retried(CALL_BACK, 200)  # only at the time asked, never by the retry policy
    assert after_attempt(CALL_BACK, 200, 1, RETRY, NOW).state == "done"


def test_a_hold_lapses_after_its_end() -> None:
    assert lapsed(_s(-0.001), NOW)
    assert not lapsed(NOW, NOW)
    assert not lapsed(_s(5), NOW)
    assert not lapsed(None, NOW)


def test_a_lapsed_dialled_call_is_interrupted_an_undialled_one_goes_back() -> None:
    assert (reaped(1, dialled=True).state, reaped(1, dialled=True).reason) == (
        "interrupted",
        INTERRUPTED,
    )
    assert reaped(0, dialled=False).state == "pending"
    assert reaped(2, dialled=False).state == "retry"


def test_a_call_not_placed_goes_back_after_the_delay_only_on_an_error() -> None:
    assert released(0, "", RETRY, NOW).next_at is None
    busy = released(0, "OperationalError", RETRY, NOW)
    assert (busy.state, busy.next_at) == ("pending", _s(60))
    assert busy.reason == "not placed (OperationalError): tried again later"
    assert released(2, "OperationalError", RETRY, NOW).next_at == _s(120)


def test_an_idle_slice_looks_again_when_a_call_falls_due_or_a_hold_lapses() -> None:
    assert look_again(NOW, _s(30), None) == 30.0
    assert look_again(NOW, _s(30), _s(10)) == 10.1  # a little after the lapse, to reap it
    assert look_again(NOW, _s(-5), None) is None  # due now, but others hold the cap
    assert look_again(NOW, None, None) is None


def test_a_busy_slice_waits_at_most_a_third_of_a_lease() -> None:
    assert wait_for_calls(NOW, None, 30.0) == 10.0
    assert wait_for_calls(NOW, _s(-1), 30.0) == 10.0
    assert wait_for_calls(NOW, _s(2), 30.0) == 2.0
    assert wait_for_calls(NOW, _s(60), 30.0) == 10.0
    assert wait_for_calls(NOW, _s(0.001), 30.0) == 0.05
