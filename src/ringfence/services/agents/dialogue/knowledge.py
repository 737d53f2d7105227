"""An agent described in a file, to try it without a server (``ringfence agents try``) and to
evaluate the dialogue (``bench/dialogue_accuracy.py``)::

    {"business": "Riverside Dental Practice",
     "knowledge": [{"question": "What are your opening hours?", "answer": "9 to 5."}],
     "slots": ["Tuesday 10:00"], "transfer_number": "+442079460123"}

``knowledge`` and ``business`` are required; an entry may carry an ``id`` (the evaluation set
names entries by it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ringfence.errors import InvalidInput


@dataclass(frozen=True)
class AgentFile:
    business: str
    knowledge: list[tuple[str, str]]
    ids: list[str] = field(default_factory=list)  # each entry's id, "" when it has none
    slots: list[str] = field(default_factory=list)
    transfer_number: str | None = None

    @classmethod
    def parse(cls, text: str) -> AgentFile:
        """The file's agent; ``InvalidInput`` saying what is wrong with it."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"the knowledge file is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidInput("the knowledge file must be a JSON object")
        business = data.get("business")
        if not isinstance(business, str) or not business.strip():
            raise InvalidInput('the knowledge file needs "business": the business\'s name')
        entries = data.get("knowledge")
        if not isinstance(entries, list):
            raise InvalidInput('the knowledge file needs "knowledge": a list of entries')
        knowledge = [_entry(i, entry) for i, entry in enumerate(entries)]
        slots = data.get("slots") or []
        if not isinstance(slots, list) or not all(isinstance(s, str) for s in slots):
            raise InvalidInput('"slots" must be a list of times, as text')
        transfer = data.get("transfer_number")
        if transfer is not None and not isinstance(transfer, str):
            raise InvalidInput('"transfer_number" must be a phone number, as text')
        return cls(
            business=business.strip(),
            knowledge=[(q, a) for q, a, _ in knowledge],
            ids=[i for _, _, i in knowledge],
            slots=[s.strip() for s in slots if s.strip()],
            transfer_number=transfer or None,
        )


def _entry(index: int, entry: Any) -> tuple[str, str, str]:
    if not isinstance(entry, dict):
        raise InvalidInput(f"knowledge entry {index + 1} must be an object")
    question, answer = entry.get("question"), entry.get("answer")
    if not isinstance(question, str) or not question.strip():
        raise InvalidInput(f'knowledge entry {index + 1} needs a "question"')
    if not isinstance(answer, str) or not answer.strip():
        raise InvalidInput(f'knowledge entry {index + 1} needs an "answer"')
    return question.strip(), answer.strip(), str(entry.get("id") or "")
