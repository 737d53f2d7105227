"""Telephony: SIP calls to and from carriers, with 20 ms audio frames in and out."""

from ringfence.telephony.calls import Call, CallEvent, CallState, EndReason
from ringfence.telephony.engine import CallFailed, TelephonyEngine

__all__ = ["Call", "CallEvent", "CallFailed", "CallState", "EndReason", "TelephonyEngine"]
