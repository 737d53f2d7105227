"""The offline dialogue step: what the agent decides to do with what the caller said.

No instruction-tuned language model ships in a package, so the offline default understands in
three layers, each doing what it does best:

1. rules (``rules``) for what must never be left to a score: an opt-out in any wording, and a
   request to be called back (close in meaning to "don't call me", and its opposite: its own
   kind, ``call_back``, when the one calling is to call back; a message when someone else is);
   and who a message is for;
2. a small classifier (``intents``) over sentence embeddings (multilingual-e5-small,
   ``speech.embeddings``), trained on the repository's examples and the agent's own questions:
   asking about the business, booking, a message, a person, an opt-out, goodbye, something off
   topic, or too vague to act on;
3. retrieval over the knowledge base for a question: the closest entry answers when it is close
   enough; else the agent admits it does not know and offers to take a message.

Replies are templates filled with the business's name and the entry's answer: nothing is made
up. Thresholds are cosine scores of this model (which sit between ~0.75 and ~0.95) and the
classifier's probabilities, set on tests/data/dialogue/dev.jsonl (``bench/dialogue_accuracy.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ringfence.services.agents.dialogue import rules
from ringfence.services.agents.dialogue.intents import IntentClassifier
from ringfence.speech.embeddings import Embedder

ANSWER_MIN = 0.82  # a question this close to an entry is answered by it
CLOSE_MIN = 0.88  # this close, it is answered unless an action is likely
OFF_TOPIC_MIN = 0.92  # an "off-topic" question this close to an entry is answered
SURE_MIN = 0.40  # below this probability the agent asks rather than acts
LIKELY_MIN = 0.60

# What the agent decides (a ``Turn``'s kind); the language model's actions are the same.
KINDS = (
    "answer",  # from the knowledge base (``matched`` is the entry's question)
    "book",  # a slot, over the next turns
    "call_back",  # asked to be called back (a time, when said): promised on a campaign call
    "message",  # take a message (``person``: whom it is for, when the caller named someone)
    "transfer",  # to a person (only with a transfer number; else a message is offered)
    "opt_out",  # onto the business's do-not-call list, then goodbye
    "end",  # goodbye
    "off_topic",  # declined politely: the agent helps with the business only
    "clarify",  # too vague or unknown: a short question back, or an offer to take a message
)
# Actions, the first the strongest when a caller asks for two at once.
ACTIONS = ("opt_out", "call_back", "transfer", "message", "book", "end")

REPLIES = {
    "message": "Of course. Please say your message, and I will pass it on to {business}.",
    "message_for": "Of course. Please say your message, and I will pass it on to {person}.",
    "call_back": "Of course. Please say your name and when to call you back, and I will pass "
    "it on to {business}.",
    "book": "I can book that for you. Which day and time would suit you?",
    "transfer": "Let me put you through to someone at {business}. Please hold.",
    "end": "Thank you for calling {business}. Goodbye.",
    "opt_out": "I have taken your number off the list of {business}. "
    "You will not be called again. Goodbye.",
    "off_topic": "I'm sorry, I can only help with things about {business}. "
    "Is there something about {business} I can help with?",
    "clarify": "Sorry, could you tell me a little more about what you need? "
    "Or I can take a message for {business}.",
    "unknown": "I'm sorry, I don't know that. I can take a message for the team at {business}.",
}


@dataclass(frozen=True)
class Turn:
    """What the agent decided: its ``kind`` (one of ``KINDS``), what it says, how sure it is
    (0 to 1), the knowledge entry it answered from, the person a message is for, and whether
    the offline dialogue or the language model decided it."""

    kind: str
    reply: str
    score: float
    matched: str = ""
    person: str = ""
    by: str = "offline"  # who decided: "offline", or "model" (the language model)


class Dialogue:
    def __init__(self, embedder: Embedder, business: str, knowledge: list[tuple[str, str]]) -> None:
        self.embedder = embedder
        self.business = business
        self.knowledge = knowledge
        questions = [q for q, _ in knowledge]
        self._passages = embedder.passages([f"{q} {a}" for q, a in knowledge])
        self._questions = embedder.queries(questions)
        self._intents = IntentClassifier.for_agent(embedder, questions)

    def respond(self, said: str) -> Turn:
        text = said.strip()
        if not text:
            return self._template("clarify", 0.0)
        whole = self._decide(text)
        parts = rules.clauses(text)
        if len(parts) < 2:
            return whole
        # Two things asked at once ("how much is a check-up, and can I book one?"): an action
        # (of the whole, else of the strongest part) drives the turn, after the answer to a
        # question in a part.
        decided = [self._decide(part) for part in parts]
        acts = [t for t in decided if t.kind in ACTIONS and t.score >= LIKELY_MIN]
        if whole.kind not in ACTIONS and not acts:
            return whole
        act = whole if whole.kind in ACTIONS else min(acts, key=lambda t: ACTIONS.index(t.kind))
        answered = next((t for t in decided if t.kind == "answer"), None)
        if answered is None or act.kind in ("opt_out", "end"):
            return act
        return replace(act, reply=f"{answered.reply} {act.reply}", matched=answered.matched)

    def _decide(self, text: str) -> Turn:
        if rules.is_opt_out(text):
            return self._template("opt_out", 1.0)
        if rules.is_call_back_request(text):
            return self._template("call_back", 1.0)
        if rules.is_call_back(text) or rules.is_message_shaped(text):
            return self._message(text, 1.0)
        if rules.is_transfer_shaped(text):
            return self._template("transfer", 1.0)
        if rules.is_errand(text):
            return self._template("off_topic", 1.0)
        if rules.is_booking(text):
            return self._template("book", 1.0)
        heard = self.embedder.query(text)
        chances = self._intents.probabilities(heard)
        intent = max(chances, key=lambda name: chances[name])
        sure = chances[intent]
        entry, closeness = self._closest(heard)
        asks = intent == "question" or (intent == "off_topic" and closeness >= OFF_TOPIC_MIN)
        # Unsure what the caller wants, but their words are close to an entry: it answers.
        unsure = sure < SURE_MIN and closeness >= ANSWER_MIN
        if asks or unsure or (sure < LIKELY_MIN and closeness >= CLOSE_MIN):
            if entry is not None and closeness >= ANSWER_MIN:
                question, answer = self.knowledge[entry]
                return Turn("answer", answer, closeness, question)
            return self._template("unknown", sure, kind="clarify")
        if intent == "vague" or sure < SURE_MIN:
            return self._template("clarify", sure)
        if intent == "message":
            return self._message(text, sure)
        return self._template(intent, sure)

    def _closest(self, heard: np.ndarray) -> tuple[int | None, float]:
        """The knowledge entry closest to what was heard (its question and answer together),
        and how close (to that, or to its question alone)."""
        if not self.knowledge:
            return None, 0.0
        by_entry = self._passages @ heard
        best = int(np.argmax(by_entry))
        return best, max(float(by_entry[best]), float(self._questions[best] @ heard))

    def _message(self, text: str, score: float) -> Turn:
        person = rules.person(text)
        reply = REPLIES["message_for" if person else "message"]
        return Turn("message", reply.format(business=self.business, person=person), score,
                    person=person)  # fmt: skip

    def _template(self, name: str, score: float, kind: str = "") -> Turn:
        return Turn(kind or name, REPLIES[name].format(business=self.business), score)
