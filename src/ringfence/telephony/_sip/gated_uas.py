"""aiosipua's UAS behind our admission and SDP checks.

Every request from outside a dialog we hold is first put to ``admit`` (whom to trust is decided
above the stack); a refused one is answered with the refusal and goes no further, so no call, no
handler and no RTP port exists for it. The ACK of such a refusal is dropped, as RFC 3261 §17.2.1
lets the server transaction absorb it. Then any SDP in an INVITE is checked before the library
parses it (``telephony/sdp_check.py``): a bad offer is answered ``488 Not Acceptable Here`` and,
in a re-INVITE, leaves the call as it was (RFC 3261 §14.2).
"""

from __future__ import annotations

from typing import Any

from aiosipua import SipRequest, SipUAS, parse_sdp
from aiosipua.message import missing_required_headers

from ringfence.telephony._sip.admission import Admit, InboundRequest, Refusal
from ringfence.telephony.sdp_check import sdp_problem


def checked_sdp_problem(text: str) -> str | None:
    """Our check, then the library's parser, which must not raise on what we let through."""
    problem = sdp_problem(text)
    if problem is not None:
        return problem
    try:
        parse_sdp(text)
    except Exception:  # the library's parser on a body our check let by: refuse, never raise
        return "SDP the parser cannot read"
    return None


def _admit_all(_request: InboundRequest) -> str | Refusal:
    return ""


class GatedUAS(SipUAS):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.admit: Admit = _admit_all
        self.admitted: dict[str, str] = {}  # Call-ID -> trunk name, for admitted INVITEs

    def _dialog_of(self, call_id: str) -> Any:
        call = self._calls.get(call_id)
        if call is not None:
            return call.dialog
        outgoing = self.uac.get_call(call_id) if self.uac is not None else None
        return outgoing.dialog if outgoing is not None else None

    def _handle_request(self, request: SipRequest, addr: tuple[str, int]) -> None:
        if missing_required_headers(request):
            super()._handle_request(request, addr)  # the library's 400 (or drop)
            return
        method = request.method.upper()
        call_id = request.call_id or ""
        dialog = self._dialog_of(call_id)
        if dialog is None:
            if method == "ACK":
                return  # the ACK of a final response sent outside any dialog
            verdict = self.admit(
                InboundRequest(
                    method=method,
                    source=(str(addr[0]), int(addr[1])),
                    uri=str(request.uri),
                    call_id=call_id,
                    proxy_authorization=request.headers.get_first("Proxy-Authorization"),
                )
            )
            if isinstance(verdict, Refusal):
                self._send_error(
                    request, verdict.status, verdict.reason, extra_headers=verdict.headers
                )
                return
            if method == "INVITE":
                if request.content_type != "application/sdp" or not request.body:
                    self._not_acceptable(request, None, "an INVITE without an SDP offer")
                    return
                self.admitted[call_id] = verdict
        if method == "INVITE" and request.body and request.content_type == "application/sdp":
            problem = checked_sdp_problem(request.text)
            if problem is not None:
                self.admitted.pop(call_id, None)
                self._not_acceptable(request, dialog, problem)
                return
        super()._handle_request(request, addr)
        # The new call's leg took its trunk; the library may also have refused it (422).
        self.admitted.pop(call_id, None)

    def _not_acceptable(self, request: SipRequest, dialog: Any, problem: str) -> None:
        warning = {"Warning": f'399 ringfence "{problem}"'}
        if dialog is None:
            self._send_error(request, 488, "Not Acceptable Here", extra_headers=warning)
            return
        response = dialog.create_response(request, 488, "Not Acceptable Here")
        response.headers.set_single("Warning", warning["Warning"])
        self.transport.send_reply(response)
