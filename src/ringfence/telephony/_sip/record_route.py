"""Record-Route in our answers (RFC 3261 §12.1.1): a UAS copies every Record-Route value of an
INVITE, in order, into each response to it that makes a dialog (101 to 299), so the caller's ACK,
BYE and re-INVITEs pass through each proxy that asked to stay in the path: the dispatcher that
shares calls between engines (deploy/kamailio) is one. aiosipua's dialog builds its responses
without them, and a proxy then has no route for the caller's BYE (it answers 404 and the call
never ends). An incoming call's dialog gets this behaviour; nothing else of it changes."""

from __future__ import annotations

from aiosipua import Dialog, SipRequest, SipResponse


class RecordRoutingDialog(Dialog):
    def create_response(
        self,
        request: SipRequest,
        status_code: int,
        reason_phrase: str = "",
        *,
        contact: str | None = None,
    ) -> SipResponse:
        response = super().create_response(request, status_code, reason_phrase, contact=contact)
        if request.method.upper() == "INVITE" and 100 < status_code < 300:
            for value in request.headers.get("record-route"):
                response.headers.append("Record-Route", value)
        return response


def keep_record_route(dialog: Dialog) -> None:
    """Make ``dialog`` (an incoming call's, before its first answer) copy Record-Route."""
    dialog.__class__ = RecordRoutingDialog
