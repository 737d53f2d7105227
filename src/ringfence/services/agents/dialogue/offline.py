"""The offline dialogue step: what the agent says to what the caller said.

No instruction-tuned language model ships in a package, so the offline default understands by
retrieval: the caller's words are embedded (multilingual-e5-small, ``speech.embeddings``) and
compared with the agent's knowledge base (each question with its answer) and with example
phrases of the actions an agent can take (take a message, book, transfer, end the call). A clear
action wins; else the closest knowledge entry answers if it is close enough; else the agent says
it does not know and offers to take a message. Replies are templates filled with the business's
name and the entry's answer: nothing is made up.

Thresholds were set on this model's cosine scores (which sit between ~0.75 and ~0.95): a
caller's words closer than 0.90 to an action's examples, or 0.83 to a knowledge entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ringfence.speech.embeddings import Embedder

ACTION_MIN = 0.90
ANSWER_MIN = 0.83
# Stricter for an opt-out: "call me later" sits at 0.907 from "stop calling me".
ACTION_MIN_FOR = {"opt_out": 0.912}

ACTIONS: dict[str, tuple[str, ...]] = {
    "take_message": (
        "I'd like to leave a message",
        "can you take a message",
        "please tell them I called",
        "pass on a message for me",
    ),
    "book": (
        "I'd like to book an appointment",
        "can I make a reservation",
        "do you have a free slot tomorrow",
        "I want to schedule a visit",
    ),
    "transfer": (
        "can I speak to a person",
        "put me through to someone",
        "I want to talk to a human",
        "connect me to the manager",
    ),
    "opt_out": (
        "stop calling me",
        "take me off your list",
        "don't call me again",
        "remove my number from your list",
    ),
    "end_call": (
        "that's all, thank you, goodbye",
        "bye",
        "nothing else, thanks",
        "I have to go now",
    ),
}

REPLIES = {
    "take_message": "Of course. Please say your message, and I will pass it on to {business}.",
    "book": "I can book that for you. Which day and time would suit you?",
    "transfer": "Let me put you through to someone at {business}. Please hold.",
    "end_call": "Thank you for calling {business}. Goodbye.",
    "opt_out": "I have taken your number off the list of {business}. "
    "You will not be called again. Goodbye.",
    "fallback": "I'm sorry, I don't know that. I can take a message for the team at {business}.",
}


@dataclass(frozen=True)
class Turn:
    kind: str  # answer | take_message | book | transfer | opt_out | end_call | fallback
    reply: str
    score: float
    matched: str = ""  # the knowledge entry's question, for an answer


_ACTION_VECTORS: dict[int, dict[str, NDArray[np.float32]]] = {}  # by embedder, computed once


def _action_vectors(embedder: Embedder) -> dict[str, NDArray[np.float32]]:
    found = _ACTION_VECTORS.get(id(embedder))
    if found is None:
        found = {
            action: np.stack([embedder.query(phrase) for phrase in phrases])
            for action, phrases in ACTIONS.items()
        }
        _ACTION_VECTORS[id(embedder)] = found
    return found


class Dialogue:
    def __init__(self, embedder: Embedder, business: str, knowledge: list[tuple[str, str]]) -> None:
        self.embedder = embedder
        self.business = business
        self.knowledge = knowledge
        self._passages = embedder.passages([f"{q} {a}" for q, a in knowledge])

    def respond(self, said: str) -> Turn:
        text = said.strip()
        if not text:
            return self._template("fallback", 0.0)
        heard = self.embedder.query(text)
        actions = {name: float((vectors @ heard).max()) for name, vectors in
                   _action_vectors(self.embedder).items()}  # fmt: skip
        action = max(actions, key=lambda name: actions[name])
        if actions[action] >= ACTION_MIN_FOR.get(action, ACTION_MIN):
            return self._template(action, actions[action])
        if len(self.knowledge):
            scores = self._passages @ heard
            best = int(np.argmax(scores))
            if float(scores[best]) >= ANSWER_MIN:
                question, answer = self.knowledge[best]
                return Turn("answer", answer, float(scores[best]), question)
        return self._template("fallback", actions[action])

    def _template(self, kind: str, score: float) -> Turn:
        return Turn(kind, REPLIES[kind].format(business=self.business), score)
