"""The words the dial page uses for a call's stored status and the steps of a call that proves a
number: people read "No answer", never ``no_answer``."""

from __future__ import annotations

# A call's status (its row's ``status``, the ``outcome`` of its last step): "answered", or why
# it ended unanswered (telephony's EndReason values), or the verification call's result.
STATUS = {
    "dialling": "Calling",
    "answered": "Answered",
    "completed": "Answered",
    "busy": "Busy",
    "no_answer": "No answer",
    "rejected": "Not connected",
    "cancelled": "Cancelled",
    "max_duration": "Ended: the longest call your credit paid for",
    "session_expired": "The line was lost",
    "failed": "Could not be placed",
    "verified": "Verified",
    "not verified": "Not verified",
}
# The steps of the call that proves a number is yours.
VERIFYING = {
    "dialling": "Calling your number…",
    "ringing": "Ringing: answer it.",
    "answered": "Answered: type the code on the phone's keypad.",
}


def status(value: str) -> str:
    """A status in words; one not listed here still in words, its underscores as spaces."""
    known = STATUS.get(value)
    if known is not None:
        return known
    plain = value.replace("_", " ")
    return plain[:1].upper() + plain[1:]
