"""The words agents' pages use for the values the services store: a call's outcome, a campaign's
state, a role, a voice... People read "Message taken", never ``message_taken``.

Pages call ``say(kind, value)`` (``Page.render`` hands it to every template); a value not listed
here (one a newer service writes) is still said in words: its underscores and dashes as spaces.
"""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    # A call an agent answered or placed (calls.records.OUTCOMES), and a campaign call's
    # outcome (campaigns.dialler: the dial's result, or why it was not placed).
    "outcome": {
        "answered": "Questions answered",
        "message_taken": "Message taken",
        "booked": "Booked",
        "transferred": "Put through to a person",
        "opted_out": "Asked not to be called",
        "unresolved": "Not resolved",
        "message_left": "Message left on a machine",
        "busy": "Busy",
        "no_answer": "No answer",
        "machine": "Answering machine",
        "failed": "Could not be placed",
        "failed_after_answer": "Cut off after answering",
        "refused": "Not called (refused)",
        "interrupted": "Interrupted",
        "call_back": "Asked to be called back",
        "in_progress": "In progress",
    },
    "campaign": {
        "draft": "Not started",
        "running": "Calling",
        "paused": "Paused",
        "done": "Finished",
        "cancelled": "Cancelled",
    },
    "contact": {
        "pending": "Waiting to be called",
        "retry": "To be called again",
        "dialling": "Being called",
        "done": "Called",
        "refused": "Not called",
        "cancelled": "Cancelled",
        "interrupted": "Interrupted",
    },
    "evaluation": {
        "queued": "Waiting to call",
        "calling": "Calling",
        "done": "Scored",
        "unanswered": "Nobody answered",
        "failed": "The call failed",
        "refused": "Not called: the person answering restricted or objected",
    },
    "voice": {
        "awaiting_consent": "Waiting for the speaker to sign",
        "consented": "Signed: waiting for the sample",
        "ready": "Ready to use",
        "withdrawn": "Consent withdrawn: deleted",
    },
    "role": {
        "owner": "Owner",
        "admin": "Administrator",
        "agent-editor": "Agent editor",
        "analyst": "Analyst",
        "viewer": "Viewer",
    },
    # The built-in voices an agent may speak in (calls.components.VOICES).
    "builtin_voice": {
        "default": "The server's default voice",
        "hibari": "Hibari (natural, offline)",
        "espeak": "eSpeak (robotic, offline)",
        "hosted": "Hosted voice service",
    },
    # What the evaluation's mystery shopper asks (evaluations.shopper.QUESTIONS).
    "question": {
        "price": "What a visit costs",
        "hours": "The opening hours",
        "appointment": "Booking an appointment",
    },
    # What an agent would do with what a caller said (dialogue's turn kinds).
    "turn": {
        "answer": "answers from its knowledge",
        "message": "takes a message",
        "call_back": "promises a call back (on a campaign call), or takes it as a message",
        "book": "books an appointment",
        "transfer": "puts the caller through to a person",
        "opt_out": "takes the number off the list",
        "end": "ends the call",
        "off_topic": "politely declines: it is not about the business",
        "clarify": "asks what the caller needs, or offers to take a message",
    },
    "speaker": {
        "agent": "Agent",
        "caller": "Caller",
        "shopper": "Mystery shopper",
        "business": "Your business",
    },
}


def say(kind: str, value: str | None) -> str:
    """``value`` of ``kind`` as people say it; "" for none."""
    if not value:
        return ""
    known = WORDS.get(kind, {}).get(value)
    if known is not None:
        return known
    plain = value.replace("_", " ").replace("-", " ")
    return plain[:1].upper() + plain[1:]
