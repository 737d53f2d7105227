"""The only package that imports the SIP and RTP libraries (aiosipua, aiortp).

Everything above it sees ``SipStack``, ``OutboundLeg``, ``InboundLeg`` and ``Media``: signalling
legs with plain callbacks, and an RTP stream that takes and gives 20 ms PCM frames. Replacing the
libraries means rewriting this package only.
"""

from ringfence.telephony._sip.admission import Admit, InboundRequest, Refusal
from ringfence.telephony._sip.legs import InboundLeg, LegCallbacks, OutboundLeg
from ringfence.telephony._sip.media import Media, info_digit
from ringfence.telephony._sip.ports import NoRtpPort
from ringfence.telephony._sip.stack import SipStack, port_allocator, resolve
from ringfence.telephony._sip.transports import tls_contexts

__all__ = [
    "Admit",
    "InboundRequest",
    "Refusal",
    "InboundLeg",
    "LegCallbacks",
    "Media",
    "NoRtpPort",
    "OutboundLeg",
    "SipStack",
    "info_digit",
    "port_allocator",
    "resolve",
    "tls_contexts",
]
