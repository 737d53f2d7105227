"""A call's conversation above the single dialogue step: the opening (disclosure first), the
turns that span more than one exchange (taking a message, choosing a slot), and the outcome.

Everything the caller said arrives here already redacted (card numbers, national ids, dates of
birth), so a message taken, a summary and a transcript never hold them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ringfence.services.agents.dialogue.offline import Turn
from ringfence.speech.embeddings import Embedder

SLOT_MIN = 0.84  # cosine of what the caller said to a slot's label (e5 scores sit ~0.75-0.95)
ANYTHING_ELSE = "Is there anything else I can help with?"
# Asked for a person with nobody to put them through to (no transfer number).
NO_TRANSFER = "I'm sorry, nobody can take the call just now. I can take a message for them."
NO_MORE = re.compile(r"^(no|nope|no thanks?( you)?|that'?s (all|it)|nothing( else)?)\b", re.I)

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


def is_backchannel(text: str) -> bool:
    words = re.sub(r"[^a-z' -]", "", text.lower()).strip()
    return not words or words in BACKCHANNELS


class Responder(Protocol):
    def respond(self, said: str) -> Turn: ...


@dataclass(frozen=True)
class Step:
    say: str
    then: str = ""  # "" | "transfer" | "hangup" | "opt_out" (then hang up)


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
    state: str = "open"  # open | message | booking
    outcomes: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # knowledge entries the caller asked about
    message: str = ""
    booked: str = ""
    _misses: int = 0

    def opening(self) -> str:
        """Said first on every call: who is answering, that it is automated, that the call is
        recorded (only when it is), and the greeting."""
        offer = f" {self.opt_out_offer}" if self.opt_out_offer else ""
        recorded = " This call is recorded." if self.recorded else ""
        return f"{self.disclosure}{offer}{recorded} {self.greeting}".strip()

    def keypad_opt_out(self) -> Step:
        """The callee pressed the opt-out key: confirmed, then the call ends."""
        self._note("opted_out")
        return Step(f"You will not be called again by {self.business}. Goodbye.", then="opt_out")

    def hear(self, said: str) -> Step:
        if self.state == "message":
            return self._take_message(said)
        if self.state == "booking":
            return self._book(said)
        if self.outcomes and NO_MORE.match(said.strip()):
            return self._goodbye()
        turn = self.dialogue.respond(said)
        if turn.kind == "answer":
            self._misses = 0
            self.asked.append(turn.matched or said.strip())
            self._note("answered")
            return Step(f"{turn.reply} {ANYTHING_ELSE}")
        if turn.kind == "take_message":
            self.state = "message"
            return Step(turn.reply)
        if turn.kind == "book":
            if not self.slots:
                return Step(
                    "I'm sorry, there are no free times to book just now. "
                    "I can take a message instead if you like."
                )
            self.state = "booking"
            return Step(f"I can book that for you. The free times are {self._slot_list()}. "
                        "Which would suit you?")  # fmt: skip
        if turn.kind == "transfer":
            if not self.transfer_to:
                return Step(NO_TRANSFER)
            self._note("transferred")
            return Step(turn.reply, then="transfer")
        if turn.kind == "opt_out":
            self._note("opted_out")
            return Step(turn.reply, then="opt_out")
        if turn.kind == "end_call":
            return self._goodbye()
        self._misses += 1
        if self._misses >= 2:
            self.state = "message"
            return Step("I'm sorry, I can't help with that. "
                        "Please say a message, and I will pass it on.")  # fmt: skip
        return Step(turn.reply)

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
        for kind in ("opted_out", "transferred", "booked", "message_taken", "answered"):
            if kind in self.outcomes:
                return kind
        return "unresolved"

    def summary(self) -> str:
        """An extractive summary from what happened (no model invents anything)."""
        parts = {
            "opted_out": "The caller asked not to be called again: the number is on the "
            "business's do-not-call list.",
            "transferred": f"The caller asked for a person and was put through to "
            f"{self.transfer_to}.",
            "booked": f"Booked: {self.booked}.",
            "message_taken": f"Message: {self.message}",
            "answered": "Answered: " + "; ".join(dict.fromkeys(self.asked)) + ".",
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
        return Step(f"Thank you. I will pass your message on to {self.business}. {ANYTHING_ELSE}")

    def _book(self, said: str) -> Step:
        slot, score = self._closest_slot(said)
        if slot is None or score < SLOT_MIN:
            self._misses += 1
            if self._misses >= 2:
                self.state, self._misses = "open", 0
                return Step("I'm sorry, I couldn't find that time. " + ANYTHING_ELSE)
            return Step(f"Sorry, which of these times would you like: {self._slot_list()}?")
        self.state, self._misses = "open", 0
        self.booked = slot
        self.slots.remove(slot)
        self._note("booked")
        return Step(f"You are booked for {slot}. {ANYTHING_ELSE}")

    def _closest_slot(self, said: str) -> tuple[str | None, float]:
        if not self.slots or not said.strip():
            return None, 0.0
        scores = self.embedder.passages(self.slots) @ self.embedder.query(said)
        best = int(np.argmax(scores))
        return self.slots[best], float(scores[best])

    def _slot_list(self) -> str:
        shown = self.slots[:3]
        return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]

    def _goodbye(self) -> Step:
        return Step(f"Thank you for calling {self.business}. Goodbye.", then="hangup")

    def _note(self, outcome: str) -> None:
        if outcome not in self.outcomes:
            self.outcomes.append(outcome)
