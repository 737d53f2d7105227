"""CallScore's rubric applied to what a call left: each signal with its evidence, and the
score from the published weights."""

from __future__ import annotations

import pytest

from ringfence.services.agents.evaluations.scoring import Heard, Said, rubric, score


def _call(**changes: object) -> Heard:
    lines = [
        Said("business", 0.4, 4.0, "Thank you for calling Harbour Dental, this is Anna "
             "speaking, how can I help you?"),
        Said("shopper", 4.8, 6.5, "Hi, how much is a check-up?", asks="price"),
        Said("business", 7.3, 9.0, "A check-up costs forty pounds."),
        Said("shopper", 9.9, 11.6, "And what are your opening hours?", asks="hours"),
        Said("business", 12.4, 15.0, "We are open from nine in the morning to five."),
        Said("shopper", 15.8, 17.0, "Can I book an appointment?", asks="appointment"),
        Said("business", 17.9, 22.0, "Of course, I can book you in on Tuesday at ten. We also "
             "have a special offer on whitening."),
        Said("shopper", 22.8, 24.0, "Thank you, goodbye."),
        Said("business", 24.6, 26.0, "Thank you for calling, goodbye."),
    ]  # fmt: skip
    heard = Heard("Harbour Dental", 2.1, lines)
    for name, value in changes.items():
        setattr(heard, name, value)
    return heard


def _by_id(report: dict[str, object]) -> dict[str, dict[str, object]]:
    return {s["id"]: s for s in report["signals"]}  # type: ignore[attr-defined, index]


def test_a_well_answered_call_passes_what_it_did() -> None:
    report = score(_call())
    signals = _by_id(report)
    assert report["rubric"] == "CallScore 1" and report["rubric_version"] == "1"
    failed = sorted(k for k, s in signals.items() if not s["passed"])
    assert failed == ["call_back_promise"]  # everything else happened
    assert signals["time_to_answer"]["value"] == 2.1
    assert signals["greeting_names_business"]["evidence"] == {
        "at": 0.4,
        "quote": "Thank you for calling Harbour Dental, this is Anna speaking, how can I help you?",
    }
    assert signals["questions_answered"]["value"] == "3/3"
    assert signals["upsell"]["evidence"]["at"] == 17.9
    weights = {s["id"]: s["weight"] for s in rubric()["signals"]}
    assert report["score"] == round(100 * (sum(weights.values()) - 2) / sum(weights.values()), 1)


def test_holds_unanswered_questions_and_a_slow_answer_fail() -> None:
    heard = _call(answered_after=21.0)
    heard.lines[2] = Said("business", 7.0, 8.0, "Please hold a moment.")
    heard.lines[4] = Said("business", 25.0, 26.0, "Sorry about that.")
    signals = _by_id(score(heard))
    assert not signals["time_to_answer"]["passed"]
    assert signals["questions_answered"]["value"] == "1/3"
    assert signals["questions_answered"]["evidence"]["quote"] == "Hi, how much is a check-up?"
    assert not signals["hold"]["passed"] and signals["hold"]["value"] >= 1
    assert signals["hold"]["evidence"]["quote"] == "Please hold a moment."


def test_interrupting_the_caller_is_measured() -> None:
    heard = _call()
    heard.lines.insert(2, Said("business", 5.5, 6.0, "Sorry?"))
    assert _by_id(score(heard))["no_interruption"]["value"] == 1


def test_an_unknown_rubric_version_is_refused() -> None:
    with pytest.raises(KeyError):
        rubric("../x")
    with pytest.raises(KeyError):
        rubric("99")
