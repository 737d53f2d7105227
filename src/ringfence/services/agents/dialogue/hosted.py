"""The dialogue step on a hosted language model: any OpenAI-compatible ``/chat/completions``.

The model is given the business's name, the agent's instructions and knowledge base, and the
actions it may choose, and answers with JSON (``{"action": ..., "reply": ...}``). What the caller
said reaches it only after ``redact_sensitive`` (card numbers, national ids, dates of birth),
which the pipeline applies before any dialogue step. If the service fails or answers something
unusable, the offline retrieval step answers instead: a call never stalls on a remote model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from ringfence.logging import get_logger
from ringfence.redact import redact_sensitive
from ringfence.services.agents.dialogue.offline import KINDS, Dialogue, Turn

log = get_logger(__name__)
TIMEOUT = 8.0


@dataclass
class HostedDialogue:
    base_url: str
    model: str
    api_key: str | None
    business: str
    instructions: str
    offline: Dialogue  # the knowledge base, and the answer when the service fails

    def _messages(self, said: str) -> list[dict[str, str]]:
        knowledge = "\n".join(f"Q: {q}\nA: {a}" for q, a in self.offline.knowledge)
        system = (
            f"You answer the phone for {self.business}. {self.instructions}\n"
            "Answer only from this knowledge; if it does not hold the answer, say you do not "
            "know and offer to take a message.\n"
            f"{knowledge}\n"
            'Reply with JSON only: {"action": one of ' + ", ".join(KINDS) + ', "reply": '
            "what to say, one or two short spoken sentences}. Use message, book, transfer, "
            "opt_out or end when the caller asks for that, off_topic for what is not about the "
            "business, clarify when you cannot tell what they want."
        )
        return [{"role": "system", "content": system},
                {"role": "user", "content": redact_sensitive(said)}]  # fmt: skip

    def respond(self, said: str) -> Turn:
        """Blocking (an HTTP request): the pipeline calls it from a worker thread."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body = {
            "model": self.model,
            "messages": self._messages(said),
            "response_format": {"type": "json_object"},
            "temperature": 0.2,
        }
        try:
            response = httpx.post(
                self.base_url.rstrip("/") + "/chat/completions",
                json=body,
                headers=headers,
                timeout=TIMEOUT,
            )
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
            decided = json.loads(content)
            kind, reply = str(decided["action"]), str(decided["reply"]).strip()
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            log.warning("hosted_dialogue_failed", error=type(exc).__name__)
            return self.offline.respond(said)
        if kind not in KINDS or not reply:
            return self.offline.respond(said)
        return Turn(kind, reply, 1.0)
