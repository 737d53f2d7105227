"""A call's conversation above the single dialogue step: the opening (disclosure first), the
turns that span more than one exchange (taking a message, choosing a slot), and the outcome.

A turn (``reply``) is answered by the language model when one is set (``model``), its
sentences given as it writes them, and otherwise, or whenever the model fails, by the offline
dialogue. The offline rules come first whatever is set: an opt-out, and the steps of a message
or a booking under way, are never left to the model.

Everything the caller said arrives here already redacted (card numbers, national ids, dates of
birth), so a message taken, a summary and a transcript never hold them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from ringfence.logging import get_logger
from ringfence.services.agents.dialogue import rules
from ringfence.services.agents.dialogue.call_back import LATER, CallBacks, asked_time, spoken
from ringfence.services.agents.dialogue.chat import ChatFailed
from ringfence.services.agents.dialogue.model import Decision, ModelDialogue, Tools
from ringfence.services.agents.dialogue.offline import REPLIES, Turn
from ringfence.services.agents.dialogue.sentences import split
from ringfence.speech.embeddings import Embedder

log = get_logger(__name__)

SLOT_MIN = 0.84  # cosine of what the caller said to a slot's label (e5 scores sit ~0.75-0.95)
ANYTHING_ELSE = "Is there anything else I can help with?"
# Asked for a person with nobody to put them through to (no transfer number).
NO_TRANSFER = "I'm sorry, nobody can take the call just now. I can take a message for them."
NO_MORE = re.compile(r"^(no|nope|no thanks?( you)?|that'?s (all|it)|nothing( else)?)\b", re.I)
YES = re.compile(
    r"^(yes|yeah|yep|yup|sure|ok|okay|correct|right|that'?s (right|correct|fine|great)|"
    r"please( do)?|go ahead|book it|perfect|great|lovely|fine)\b"
)
NO = re.compile(r"^(no|nope|not (quite|really|right)|wrong|actually|change)\b")
# The decision a step inside a flow stands for (the CLI and the try box show it).
FLOW_KINDS = {
    "message": "message",
    "booking": "book",
    "booking_name": "book",
    "booking_confirm": "book",
    "call_back_when": "call_back",
}
ASK_WHEN = "Of course. When would be a good time to call you back?"
OUTSIDE_HOURS = "That is outside the hours I may call you, so "
CANNOT_CALL_BACK = ("I'm sorry, I won't be able to call you back then. "
                    "Thank you for your time. Goodbye.")  # fmt: skip
_NAME_LEAD = re.compile(
    r"^(it'?s|it is|my name is|my name'?s|the name is|name'?s|i'?m|i am|this is|under|"
    r"put it under|for|call me)\s+",
    re.I,
)

# What a caller says while listening, which must not interrupt the agent (barge-in ignores it).
BACKCHANNELS = frozenset(
    {
        "yeah",
        "yes",
        "yep",
        "mm-hm",
        "mhm",
        "mm",
        "hmm",
        "uh-huh",
        "okay",
        "ok",
        "right",
        "sure",
        "i see",
        "alright",
        "all right",
        "got it",
        "oh",
        "ah",
    }  # fmt: skip
)


def caller_name(said: str) -> str:
    """The name in "It's Sam Jones." or "my name is sam", as "Sam Jones"; "" for none."""
    text = re.sub(r"[^\w' -]", " ", said).strip()
    while (lead := _NAME_LEAD.match(text)) is not None:
        text = text[lead.end() :]
    words = [w for w in text.split() if w.lower() not in ("please", "thanks", "thank", "you")]
    return " ".join(w[:1].upper() + w[1:] for w in words[:4])


def is_backchannel(text: str) -> bool:
    words = re.sub(r"[^a-z' -]", "", text.lower()).strip()
    return not words or words in BACKCHANNELS


class Responder(Protocol):
    def respond(self, said: str) -> Turn: ...


class Toolbox(Tools, Protocol):
    """The business's tools on a call: offered to the model, and called by the offline
    dialogue where a knowledge entry's answer names one (``[tool:NAME]``)."""

    async def step(self, said: str, step: Step) -> Step: ...


@dataclass(frozen=True)
class Step:
    """What the agent says next, what it does after (``then``), and the decision behind it
    (``turn``: its kind, the entry it answered from, the person a message is for, how sure)."""

    say: str
    then: str = ""  # "" | "transfer" | "hangup" | "opt_out" (then hang up)
    turn: Turn | None = None


@dataclass
class Conversation:
    dialogue: Responder
    embedder: Embedder
    business: str
    greeting: str
    disclosure: str
    slots: list[str] = field(default_factory=list)  # free slots, as the business wrote them
    transfer_to: str | None = None
    voice: str = "default"  # the agent's chosen voice (components.VOICES)
    recorded: bool = True  # the call is recorded, and the opening says so
    # Outbound calls offer the opt-out within their first seconds (47 CFR 64.1200(b)(3)).
    opt_out_offer: str = ""
    # Outbound campaign calls promise call-backs (the contact's time, the campaign's rules);
    # without it (the receptionist) a call-back request is a message for the business.
    call_backs: CallBacks | None = None
    # open | message | booking | booking_name | booking_confirm | call_back_when
    state: str = "open"
    outcomes: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # knowledge entries the caller asked about
    message: str = ""
    message_for: str = ""  # the person the caller named for their message
    booked: str = ""  # the slot, as the business wrote it
    booked_name: str = ""  # whom it is booked for
    call_back_at: dt.datetime | None = None  # promised, in the contact's zone
    call_back_said: str = ""  # the promise as spoken ("tomorrow at 3 pm")
    _slot: str = ""  # the slot chosen, before the name and the confirmation
    _misses: int = 0
    model: ModelDialogue | None = None  # the language model, when one is set

    def opening(self) -> str:
        """Said first on every call, by us and never by the model: who is answering, that it
        is automated, that the call is recorded (only when it is), and the greeting."""
        offer = f" {self.opt_out_offer}" if self.opt_out_offer else ""
        recorded = " This call is recorded." if self.recorded else ""
        said = f"{self.disclosure}{offer}{recorded} {self.greeting}".strip()
        if self.model is not None:
            self.model.heard("", said)
        return said

    async def reply(
        self, said: str, tools: Toolbox | None = None
    ) -> AsyncGenerator[str | Step, None]:
        """The agent's next step to what the caller said: the sentences to say as they are
        decided (the model's as it writes them), then the ``Step`` (all it said, what it does
        after, and the decision). What the model said before it failed stays said."""
        spoken: list[str] = []
        step: Step | None = None
        try:
            if self.model is not None and self._for_model(said):
                pieces = self.model.turn(said, self.slots, bool(self.transfer_to), tools)
                try:
                    async with aclosing(pieces):  # a reply cut short closes the model's stream
                        async for piece in pieces:
                            if isinstance(piece, str):
                                spoken.append(piece)
                                yield piece
                            else:
                                step = self._decided(said, piece, " ".join(spoken))
                except ChatFailed as exc:
                    log.warning("agent_model_failed", reason=exc.message)
            if step is None:
                step = await asyncio.to_thread(self.hear, said)
                if tools is not None:
                    step = await tools.step(said, step)
            for sentence in split(step.say):
                spoken.append(sentence)
                yield sentence
            yield replace(step, say=" ".join(spoken))
        finally:
            if self.model is not None:
                self.model.heard(said, " ".join(spoken))

    def _for_model(self, said: str) -> bool:
        """Whether the model may answer: not an opt-out, not a step of a message or a booking
        under way, not the caller's "no, that's all" once something was done."""
        if self.state != "open" or rules.is_opt_out(said):
            return False
        return not (self.outcomes and NO_MORE.match(said.strip()))

    def _decided(self, said: str, decision: Decision, spoken: str) -> Step:
        """What the model chose, done; the step's ``say`` is what is said after the model's
        words (the conversation's own, where they must be exact: a booking read back, an
        opt-out confirmed). ChatFailed when the choice does not stand."""
        kind = decision.kind
        if kind == "answer":
            self._misses = 0
            self._note("answered")
            return Step("", turn=Turn("answer", spoken, 1.0, by="model"))
        if kind == "book":
            if decision.slot not in self.slots or not decision.name:
                raise ChatFailed("the model booked a time that is not free")
            self._slot, self.booked_name = decision.slot, decision.name
            self.state = "booking_confirm"
            turn = Turn("book", "", 1.0, person=self.booked_name, by="model")
            return Step(
                f"So that's {self._slot} for {self.booked_name}. Shall I book it?", turn=turn
            )
        if kind == "message":
            self.message_for = decision.person
            turn = Turn("message", "", 1.0, person=decision.person, by="model")
            if decision.message:
                self.message = decision.message
                self._note("message_taken")
                to = decision.person or self.business
                return Step(f"Thank you. I will pass your message on to {to}. {ANYTHING_ELSE}",
                            turn=turn)  # fmt: skip
            self.state = "message"
            asks = REPLIES["message_for" if decision.person else "message"]
            return Step("" if spoken else asks.format(business=self.business,
                        person=decision.person), turn=turn)  # fmt: skip
        if kind == "opt_out":
            if rules.is_call_back(said):  # "call me back later" is never an opt-out
                raise ChatFailed("the model took a request to be called back for an opt-out")
            reply = REPLIES["opt_out"].format(business=self.business)
            return self._act(Turn("opt_out", reply, 1.0, by="model"))
        if kind == "transfer":
            reply = "" if spoken else REPLIES["transfer"].format(business=self.business)
            return self._act(Turn("transfer", reply, 1.0, by="model"))
        turn = Turn("end", spoken, 1.0, by="model")
        return Step("", then="hangup", turn=turn) if spoken else self._goodbye(turn)

    def keypad_opt_out(self) -> Step:
        """The callee pressed the opt-out key: confirmed, then the call ends."""
        self._note("opted_out")
        return Step(f"You will not be called again by {self.business}. Goodbye.", then="opt_out")

    def hear(self, said: str) -> Step:
        """The agent's next step to what the caller said; its ``turn`` always says the
        decision (within a message or a booking, the flow's own kind)."""
        during = FLOW_KINDS.get(self.state, "end")
        step = self._hear(said)
        return step if step.turn is not None else replace(step, turn=Turn(during, step.say, 1.0))

    def _hear(self, said: str) -> Step:
        # An opt-out is honoured whatever the agent was doing (a do-not-call request is
        # recorded at once), in the middle of a message or a booking too.
        if rules.is_opt_out(said):
            return self._act(
                Turn("opt_out", REPLIES["opt_out"].format(business=self.business), 1.0)
            )
        if self.state == "call_back_when":
            return self._call_back(said, asked_again=True)
        if self.call_backs is not None and rules.is_call_back_request(said):
            return self._call_back(said)  # before any model: a promise the campaign keeps
        if self.state == "message":
            return self._take_message(said)
        if self.state == "booking":
            return self._book(said)
        if self.state == "booking_name":
            return self._name(said)
        if self.state == "booking_confirm":
            return self._confirm(said)
        if self.outcomes and NO_MORE.match(said.strip()):
            return self._goodbye()
        return self._act(self.dialogue.respond(said))

    def _act(self, turn: Turn) -> Step:
        """What the agent does with the dialogue step's decision."""
        if turn.kind == "answer":
            self._misses = 0
            self.asked.append(turn.matched)
            self._note("answered")
            return Step(f"{turn.reply} {ANYTHING_ELSE}", turn=turn)
        if turn.kind == "call_back" and self.call_backs is not None:
            self.state = "call_back_when"
            return Step(ASK_WHEN, turn=turn)
        if turn.kind in ("message", "call_back"):
            self.state, self.message_for = "message", turn.person
            return Step(turn.reply, turn=turn)
        if turn.kind == "book":
            return self._start_booking(turn)
        if turn.kind == "transfer":
            if not self.transfer_to:
                return Step(NO_TRANSFER, turn=turn)
            self._note("transferred")
            return Step(turn.reply, then="transfer", turn=turn)
        if turn.kind == "opt_out":
            self._note("opted_out")
            return Step(turn.reply, then="opt_out", turn=turn)
        if turn.kind == "end":
            return self._goodbye(turn)
        self._misses += 1  # off_topic, clarify
        if self._misses >= 2:
            self.state = "message"
            return Step("I'm sorry, I can't help with that. "
                        "Please say a message, and I will pass it on.", turn=turn)  # fmt: skip
        return Step(turn.reply, turn=turn)

    def transfer_failed(self) -> Step:
        if "transferred" in self.outcomes:
            self.outcomes.remove("transferred")
        self.state = "message"
        return Step("I'm sorry, nobody could take the call. Please say a message, "
                    "and I will pass it on.")  # fmt: skip

    def no_input(self, times: int) -> Step:
        if times >= 2:
            self._note("unresolved")
            return Step("I can't hear anything, so I will end the call. Goodbye.", then="hangup")
        return Step("Are you still there?")

    @property
    def outcome(self) -> str:
        """The call's main outcome, for the summary and the calls list."""
        ranked = ("opted_out", "call_back", "transferred", "booked", "message_taken", "answered")
        for kind in ranked:
            if kind in self.outcomes:
                return kind
        return "unresolved"

    def summary(self) -> str:
        """An extractive summary from what happened (no model invents anything)."""
        parts = {
            "opted_out": "The caller asked not to be called again: the number is on the "
            "business's do-not-call list.",
            "call_back": f"The contact asked to be called back: {self.call_back_said} "
            "(their time).",
            "transferred": f"The caller asked for a person and was put through to "
            f"{self.transfer_to}.",
            "booked": f"Booked: {self.booked} for {self.booked_name}.",
            "message_taken": f"Message for {self.message_for}: {self.message}"
            if self.message_for
            else f"Message: {self.message}",
            "answered": "Answered: "
            + ("; ".join(a for a in dict.fromkeys(self.asked) if a) or "the caller's questions")
            + ".",
        }
        lines = [parts[o] for o in dict.fromkeys(self.outcomes) if o in parts]
        if not lines:
            lines = ["The caller's request was not resolved."]
        return f"Outcome: {self.outcome.replace('_', ' ')}. " + " ".join(lines)

    # -- the turns that span exchanges --------------------------------------------------------

    def _take_message(self, said: str) -> Step:
        self.state = "open"
        if not said.strip():
            return Step("I didn't catch a message. " + ANYTHING_ELSE)
        self.message = f"{self.message} {said.strip()}".strip()
        self._note("message_taken")
        to = self.message_for or self.business
        return Step(f"Thank you. I will pass your message on to {to}. {ANYTHING_ELSE}",
                    turn=Turn("message", "", 1.0, person=self.message_for))  # fmt: skip

    def _call_back(self, said: str, asked_again: bool = False) -> Step:
        """Promise the call-back at the time asked, or the nearest the campaign may call; ask
        when once if no time was said (then "later")."""
        assert self.call_backs is not None
        now = self.call_backs.now()
        asked = asked_time(said, now)
        turn = Turn("call_back", "", 1.0)
        if asked is None and not asked_again:
            self.state = "call_back_when"
            return Step(ASK_WHEN, turn=turn)
        self.state = "open"
        asked = asked or now + LATER
        at = self.call_backs.allowed(asked)
        if at is None:
            return Step(CANNOT_CALL_BACK, then="hangup", turn=turn)
        self.call_back_at, self.call_back_said = at, spoken(at, now)
        self._note("call_back")
        moved = OUTSIDE_HOURS if at > asked else ""
        return Step(f"{moved}I'll call you back {self.call_back_said}. Thank you, goodbye.",
                    then="hangup", turn=turn)  # fmt: skip

    def _start_booking(self, turn: Turn) -> Step:
        if not self.slots:
            return Step("I'm sorry, there are no free times to book just now. "
                        "I can take a message instead if you like.", turn=turn)  # fmt: skip
        self.state, self._misses = "booking", 0
        return Step(f"I can book that for you. The free times are {self._slot_list()}. "
                    "Which would suit you?", turn=turn)  # fmt: skip

    def _book(self, said: str) -> Step:
        slot, score = self._closest_slot(said)
        if slot is None or score < SLOT_MIN:
            self._misses += 1
            if self._misses >= 2:
                self.state, self._misses = "open", 0
                return Step("I'm sorry, I couldn't find that time. " + ANYTHING_ELSE)
            return Step(f"Sorry, which of these times would you like: {self._slot_list()}?",
                        turn=Turn("book", "", score))  # fmt: skip
        self.state, self._misses, self._slot = "booking_name", 0, slot
        return Step(f"{slot}. And what name shall I put it under?", turn=Turn("book", "", score))

    def _name(self, said: str) -> Step:
        name = caller_name(said)
        if not name:
            return Step("Sorry, what name shall I put the booking under?")
        self.booked_name, self.state = name, "booking_confirm"
        return Step(f"So that's {self._slot} for {name}. Shall I book it?",
                    turn=Turn("book", "", 1.0, person=name))  # fmt: skip

    def _confirm(self, said: str) -> Step:
        words = said.strip().lower()
        if NO.match(words):
            self.state = "booking"
            return Step(f"No problem. Which time would suit you: {self._slot_list()}?")
        if not YES.match(words):
            return Step(f"Shall I book {self._slot} for {self.booked_name}? Please say yes or no.")
        self.state, self.booked = "open", self._slot
        if self._slot in self.slots:
            self.slots.remove(self._slot)
        self._note("booked")
        return Step(f"You are booked for {self.booked}, {self.booked_name}. {ANYTHING_ELSE}",
                    turn=Turn("book", "", 1.0, person=self.booked_name))  # fmt: skip

    def _closest_slot(self, said: str) -> tuple[str | None, float]:
        if not self.slots or not said.strip():
            return None, 0.0
        scores = self.embedder.passages(self.slots) @ self.embedder.query(said)
        best = int(np.argmax(scores))
        return self.slots[best], float(scores[best])

    def _slot_list(self) -> str:
        shown = self.slots[:3]
        return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]

    def _goodbye(self, turn: Turn | None = None) -> Step:
        return Step(f"Thank you for calling {self.business}. Goodbye.", then="hangup", turn=turn)

    def _note(self, outcome: str) -> None:
        if outcome not in self.outcomes:
            self.outcomes.append(outcome)
