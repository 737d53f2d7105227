"""aiosipua's UAC and registrations, with the RFC 3261 behaviour carriers need added."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiosipua import (
    Registration,
    SipRequest,
    SipUAC,
    parse_sdp,
)
from aiosipua.outgoing_call import OutgoingCall

from ringfence.telephony._sip.gated_uas import checked_sdp_problem
from ringfence.telephony._sip.record_route import take_route

if TYPE_CHECKING:
    from ringfence.telephony._sip.stack import SipStack

# RFC 3261 §17.1.1.2: over UDP an INVITE is retransmitted at T1, 2*T1, 4*T1... until a response
# arrives, and the transaction times out after Timer B = 64*T1. aiosipua 0.7 sends it once, so a
# single lost datagram (or a peer still binding its socket) would lose the call: we add Timer A.
T1 = 0.5
TIMER_B = 64 * T1


# RFC 3261 §17.1.1.3: the client transaction acknowledges every 3xx-6xx final response to an
# INVITE (401/407 included) with an ACK in the same transaction. aiosipua 0.7 ACKs only 2xx, so
# a carrier keeps retransmitting its 486 until Timer H; we send that ACK here.


class RetransmittedRegistration(Registration):
    """aiosipua's registration with RFC 3261 Timer E: a REGISTER lost over UDP is sent again at
    T1, 2*T1... (capped at T2 = 4 s) until any response, for at most Timer F = 64*T1."""

    def __init__(self, stack: SipStack, *args: Any, **kwargs: Any) -> None:
        self._stack = stack
        self.responded_cseq = 0
        self.answered = asyncio.Event()  # set on every final response
        super().__init__(stack.uac, *args, **kwargs)

    def _send_register(
        self, expires: int, *, auth_header: tuple[str, str] | None = None
    ) -> SipRequest:
        request = super()._send_register(expires, auth_header=auth_header)
        self._stack.spawn_timer(self._timer_e(request))
        return request

    def _handle_response(self, response: Any) -> None:
        if response.cseq is not None:
            self.responded_cseq = max(self.responded_cseq, response.cseq.seq)
        super()._handle_response(response)
        if response.status_code >= 200:
            self.answered.set()

    async def _timer_e(self, request: SipRequest) -> None:
        if self._stack.kind != "udp":
            return
        seq = request.cseq.seq if request.cseq else 0
        interval, waited = T1, 0.0
        while waited < TIMER_B:
            await asyncio.sleep(interval)
            waited += interval
            if self.responded_cseq >= seq:
                return
            self.uac.transport.send(request, self.registrar)
            interval = min(interval * 2, 4.0)


class CarrierGradeUAC(SipUAC):
    """aiosipua's UAC plus Timer A bookkeeping and ACKs for non-2xx final responses."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answered_cseq: dict[str, int] = {}
        self.invites: dict[tuple[str, int], tuple[SipRequest, tuple[str, int]]] = {}
        self.early_sdp: dict[str, Any] = {}
        self.on_trying: dict[str, Callable[[], None]] = {}
        self.final_cseq: dict[str, int] = {}  # the CSeq of the last final response per call
        self.bad_answers: dict[str, str] = {}  # Call-ID -> what is wrong with its 2xx's SDP
        # Call-ID -> the CSeq of our re-INVITE in progress and where its final status goes
        self.reoffers: dict[str, tuple[int, asyncio.Future[int]]] = {}
        self.reinvites: set[tuple[str, int]] = set()  # (Call-ID, CSeq) of every re-INVITE sent
        self._ended: set[str] = set()

    def remember(self, call: OutgoingCall, remote: tuple[str, int]) -> None:
        invite = call.invite
        seq = invite.cseq.seq if invite.cseq else 0
        self.invites[(call.call_id, seq)] = (invite, remote)

    def forget(self, call_id: str) -> None:
        """Drop a call's state once it has ended, but not before its INVITE transaction has its
        final response: a 487 after our CANCEL must still be ACKed."""
        sent = [seq for cid, seq in self.invites if cid == call_id]
        if not sent or self.final_cseq.get(call_id, 0) >= max(sent):
            self._drop(call_id)
        else:
            self._ended.add(call_id)

    def timed_out(self, call_id: str) -> None:
        """Timer B fired: an ended call will get no final response any more."""
        if call_id in self._ended:
            self._drop(call_id)

    def _drop(self, call_id: str) -> None:
        self._ended.discard(call_id)
        self.answered_cseq.pop(call_id, None)
        self.final_cseq.pop(call_id, None)
        self.early_sdp.pop(call_id, None)
        self.bad_answers.pop(call_id, None)
        self.on_trying.pop(call_id, None)
        pending = self.reoffers.pop(call_id, None)
        if pending is not None and not pending[1].done():
            pending[1].set_result(481)  # the call is gone: the re-INVITE has no dialog
        self.reinvites = {k for k in self.reinvites if k[0] != call_id}
        for key in [k for k in self.invites if k[0] == call_id]:
            del self.invites[key]

    def handle_response(self, response: Any, addr: tuple[str, int]) -> None:
        call_id = response.call_id or ""
        cseq = response.cseq
        seq = cseq.seq if cseq else 0
        if self._reoffer_answered(call_id, response, seq):
            return
        if cseq is not None and cseq.method.upper() == "INVITE":
            self._check_sdp(call_id, response)
            self.answered_cseq[call_id] = max(self.answered_cseq.get(call_id, 0), seq)
            if response.status_code >= 200:
                self.final_cseq[call_id] = max(self.final_cseq.get(call_id, 0), seq)
            call = self._calls.get(call_id)
            if 200 <= response.status_code < 300 and call and not call._answered.is_set():
                take_route(call.dialog, response)  # before the library ACKs it
            if response.status_code >= 300:
                self._ack_failure(response, self.invites.get((call_id, seq)))
            elif response.status_code == 100 and call_id in self.on_trying:
                self.on_trying.pop(call_id)()
            elif (
                response.status_code == 183
                and response.body
                and response.content_type == "application/sdp"
            ):
                # Early media (RFC 3960): the callee's network plays tones or announcements.
                self.early_sdp[call_id] = parse_sdp(response.text)
        super().handle_response(response, addr)
        if call_id in self._ended:
            self.forget(call_id)
            return
        call = self._calls.get(call_id)
        sent = self.invites.get((call_id, seq))
        if call is not None and sent is not None and call.invite is not sent[0]:
            # A digest retry went out: remember it, so Timer A follows it and its failure is ACKed.
            self.remember(call, sent[1])

    def _reoffer_answered(self, call_id: str, response: Any, seq: int) -> bool:
        """A response to our re-INVITE (RFC 3261 §14.1): its final status goes to the waiting
        ``reoffers`` future. A failure leaves the session as it was, so it is ACKed here and
        kept from the library, which would take it for the end of the call. True when the
        response needs nothing more."""
        if (call_id, seq) not in self.reinvites or response.cseq.method.upper() != "INVITE":
            return False
        status = response.status_code
        self.answered_cseq[call_id] = max(self.answered_cseq.get(call_id, 0), seq)
        if status < 200:
            return True  # provisional: the callee is not ringing again
        self.final_cseq[call_id] = max(self.final_cseq.get(call_id, 0), seq)
        pending = self.reoffers.get(call_id)
        if pending is not None and pending[0] == seq:
            del self.reoffers[call_id]
            if not pending[1].done():
                pending[1].set_result(status)
        if status >= 300:  # each retransmission of it too
            self._ack_failure(response, self.invites.get((call_id, seq)))
            return True
        return False  # a 2xx: the library ACKs it and keeps its SDP as the answer

    def _check_sdp(self, call_id: str, response: Any) -> None:
        """An answer (or early media) whose SDP we cannot act on loses its body before the
        library parses it: a 2xx is still ACKed by the library, and the leg then refuses to
        open media with the reason, so the engine sends BYE and ends the call as failed."""
        if not response.body or response.content_type != "application/sdp":
            return
        problem = checked_sdp_problem(response.text)
        if problem is None:
            return
        response.body = b""
        if 200 <= response.status_code < 300:
            self.bad_answers[call_id] = problem

    def _ack_failure(self, response: Any, sent: tuple[SipRequest, tuple[str, int]] | None) -> None:
        if sent is None:
            return
        invite, remote = sent
        ack = SipRequest(method="ACK", uri=invite.uri)
        for name in ("Via", "From", "Call-ID", "Route", "Max-Forwards"):
            for value in (
                invite.headers.get(name)[:1] if name == "Via" else invite.headers.get(name)
            ):
                ack.headers.append(name, value)
        ack.headers.set_single("To", response.headers.get_first("To") or "")
        ack.headers.set_single("CSeq", f"{invite.cseq.seq if invite.cseq else 1} ACK")
        ack.headers.set_single("Content-Length", "0")
        self.transport.send(ack, remote)
