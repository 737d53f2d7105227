"""A call's conversation in text, with the real embedding model: the opening, the turns that
span exchanges (a message, a booking), transfers, no input, and the summary they make."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from ringfence.services.agents.dialogue.conversation import (
    Conversation,
    caller_name,
    is_backchannel,
)
from ringfence.services.agents.dialogue.offline import Dialogue
from ringfence.speech.embeddings import default_embedder

KNOWLEDGE = [
    ("What are your opening hours?", "We are open from 9 am to 5 pm, Monday to Friday."),
    ("How much is a haircut?", "A haircut costs 25 pounds."),
]


def _conversation(**fields: object) -> Conversation:
    embedder = default_embedder()
    dialogue = Dialogue(embedder, "Cutting Edge", KNOWLEDGE)
    return Conversation(
        dialogue, embedder, "Cutting Edge", "How can I help?",
        "You are speaking with an automated assistant for Cutting Edge.", **fields,  # type: ignore[arg-type]
    )  # fmt: skip


def test_the_opening_discloses_first_and_says_the_call_is_recorded() -> None:
    opening = _conversation().opening()
    assert opening.startswith("You are speaking with an automated assistant")
    assert opening.index("recorded") < opening.index("How can I help?")


def test_a_conversation_nothing_records_does_not_say_it_is_recorded() -> None:
    opening = _conversation(recorded=False).opening()
    assert "recorded" not in opening
    assert opening == (
        "You are speaking with an automated assistant for Cutting Edge. How can I help?"
    )


def test_a_message_is_taken_over_two_turns_and_summarised() -> None:
    talk = _conversation()
    assert "say your message" in talk.hear("Can you take a message for Sam?").say
    step = talk.hear("Please call me back about the invoice, card [card number].")
    assert "pass your message on" in step.say and talk.outcome == "message_taken"
    assert talk.hear("No, that's all.").then == "hangup"
    summary = talk.summary()
    assert summary.startswith("Outcome: message taken.")
    assert "call me back about the invoice" in summary and "[card number]" in summary


def test_a_slot_is_booked_over_turns_with_a_name_and_confirmed_back() -> None:
    talk = _conversation(slots=["Tuesday 10:00", "Wednesday 15:00"])
    offer = talk.hear("I'd like to book an appointment")
    assert "Tuesday 10:00" in offer.say and "Wednesday 15:00" in offer.say
    assert offer.turn is not None and offer.turn.kind == "book"
    assert "what name" in talk.hear("Wednesday at three in the afternoon").say
    confirm = talk.hear("It's Sam Jones.")
    assert confirm.say == "So that's Wednesday 15:00 for Sam Jones. Shall I book it?"
    assert talk.booked == "" and talk.outcome == "unresolved"  # not before the yes
    assert "booked for Wednesday 15:00, Sam Jones" in talk.hear("Yes please.").say
    assert talk.slots == ["Tuesday 10:00"] and talk.booked == "Wednesday 15:00"
    assert talk.summary().startswith("Outcome: booked. Booked: Wednesday 15:00 for Sam Jones.")


def test_a_booking_not_confirmed_asks_for_the_time_again() -> None:
    talk = _conversation(slots=["Tuesday 10:00", "Wednesday 15:00"])
    talk.hear("Can I make an appointment?")
    talk.hear("Tuesday at ten")
    talk.hear("my name is ann")
    again = talk.hear("No, sorry.")
    assert "Which time" in again.say and talk.state == "booking" and talk.booked == ""
    talk.hear("Wednesday at three")
    talk.hear("Ann")
    talk.hear("yes")
    assert talk.booked == "Wednesday 15:00" and talk.booked_name == "Ann"


def test_an_opt_out_in_the_middle_of_a_booking_is_honoured() -> None:
    talk = _conversation(slots=["Tuesday 10:00"])
    talk.hear("I'd like to book an appointment")
    step = talk.hear("actually, please never ring this number again")
    assert step.then == "opt_out" and talk.outcome == "opted_out"


def test_a_message_for_a_named_person_is_passed_to_them() -> None:
    talk = _conversation()
    asked = talk.hear("Can you let Dr Patel know I called?")
    assert asked.turn is not None and asked.turn.person == "Dr Patel"
    taken = talk.hear("It's about my crown, it came loose again.")
    assert "pass your message on to Dr Patel" in taken.say
    assert "Message for Dr Patel: It's about my crown" in talk.summary()


@pytest.mark.parametrize(
    ("said", "name"),
    [("It's Sam Jones.", "Sam Jones"), ("my name is ann", "Ann"),
     ("Put it under Lee, please", "Lee"), ("", "")],
)  # fmt: skip
def test_the_callers_name(said: str, name: str) -> None:
    assert caller_name(said) == name


def test_without_slots_or_a_transfer_number_the_agent_offers_a_message() -> None:
    talk = _conversation()
    assert "no free times" in talk.hear("I'd like to book an appointment").say
    step = talk.hear("Can I speak to a person please?")
    assert step.then == "" and "take a message" in step.say


def test_a_transfer_is_asked_for_and_a_failed_one_falls_back_to_a_message() -> None:
    talk = _conversation(transfer_to="+442079460000")
    assert talk.hear("Can I speak to a person please?").then == "transfer"
    assert talk.outcome == "transferred"
    assert "say a message" in talk.transfer_failed().say
    assert talk.outcome == "unresolved" and talk.state == "message"


def test_two_misses_lead_to_a_message_and_silence_to_a_goodbye() -> None:
    talk = _conversation()
    talk.hear("Do you sell bicycles?")
    assert "pass it on" in talk.hear("What is the weather like?").say
    assert talk.no_input(1).say == "Are you still there?"
    assert talk.no_input(2).then == "hangup"


@pytest.mark.parametrize(
    ("said", "backchannel"),
    [
        ("Yeah.", True),
        ("mm-hm", True),
        ("", True),
        ("Okay!", True),
        ("Yes, book it", False),
        ("Could you take a message?", False),
    ],  # fmt: skip
)
def test_backchannels(said: str, backchannel: bool) -> None:
    assert is_backchannel(said) is backchannel


def test_asking_not_to_be_called_again_opts_out_and_ends_the_call() -> None:
    talk = _conversation()
    step = talk.hear("Please take me off your list.")
    assert step.then == "opt_out" and "not be called again" in step.say
    assert talk.outcome == "opted_out"
    assert "do-not-call list" in talk.summary()
    assert _conversation().hear("Can you call me back later?").then != "opt_out"


NEW_YORK = ZoneInfo("America/New_York")


@dataclass
class Window:
    """Call-backs allowed from 8 am to 9 pm in New York, until ``ends``."""

    at: dt.datetime = dt.datetime(2026, 12, 1, 10, 0, tzinfo=NEW_YORK)
    ends: dt.datetime = dt.datetime(2026, 12, 31, tzinfo=NEW_YORK)

    def now(self) -> dt.datetime:
        return self.at

    def allowed(self, at: dt.datetime) -> dt.datetime | None:
        if at.hour >= 21:
            at = (at + dt.timedelta(days=1)).replace(hour=8, minute=0)
        return at if at < self.ends else None


def test_a_call_back_is_promised_back_at_the_time_asked() -> None:
    talk = _conversation(call_backs=Window())
    step = talk.hear("Sorry, can you call me back tomorrow at three?")
    assert step.say == "I'll call you back tomorrow at 3 pm. Thank you, goodbye."
    assert step.then == "hangup" and step.turn is not None and step.turn.kind == "call_back"
    assert talk.call_back_at == dt.datetime(2026, 12, 2, 15, 0, tzinfo=NEW_YORK)
    assert talk.outcome == "call_back"
    assert "asked to be called back: tomorrow at 3 pm" in talk.summary()


def test_a_call_back_outside_the_hours_moves_to_the_nearest_allowed() -> None:
    talk = _conversation(call_backs=Window())
    step = talk.hear("call me back at eleven tonight")
    assert step.say.startswith("That is outside the hours I may call you, so I'll call you "
                               "back tomorrow at 8 am.")  # fmt: skip
    assert talk.call_back_at == dt.datetime(2026, 12, 2, 8, 0, tzinfo=NEW_YORK)


def test_a_call_back_without_a_time_asks_when_once() -> None:
    talk = _conversation(call_backs=Window())
    assert talk.hear("I'm driving right now").say.startswith("Of course. When would")
    assert talk.hear("in an hour").say == "I'll call you back today at 11 am. Thank you, goodbye."
    again = _conversation(call_backs=Window())
    again.hear("can you phone me back")
    assert "today at 12 pm" in again.hear("whenever").say  # "later"


def test_no_call_back_is_promised_past_the_campaign() -> None:
    talk = _conversation(call_backs=Window(ends=dt.datetime(2026, 12, 2, tzinfo=NEW_YORK)))
    step = talk.hear("call me back on friday")
    assert "won't be able to call you back" in step.say and talk.call_back_at is None


def test_an_opt_out_is_never_taken_for_a_call_back() -> None:
    talk = _conversation(call_backs=Window())
    assert talk.hear("don't ever call me again").then == "opt_out"
    assert talk.call_back_at is None


def test_the_receptionist_takes_a_call_back_request_as_a_message() -> None:
    talk = _conversation()  # inbound: nobody to keep a promise of a call
    step = talk.hear("could you call me back later")
    assert step.turn is not None and step.turn.kind == "call_back"
    assert talk.state == "message" and "call you back" in step.say
