"""Routes through proxies (RFC 3261 §12.1): what aiosipua leaves out, so each request of a call
takes the path its proxies asked for. The dispatcher that shares calls between engines
(deploy/kamailio) is such a proxy: without these, it has no route for an ACK or a BYE, drops or
answers it 404, and the call never ends.

- As the callee (§12.1.1): every Record-Route value of the INVITE is copied, in order, into each
  response to it that makes a dialog (101 to 299). aiosipua's dialog builds its responses
  without them; an incoming call's dialog gets this behaviour, nothing else of it changes.
- As the caller (§12.1.2): the dialog's route set is the answer's Record-Route values in
  reverse order, and its remote target the answer's Contact. aiosipua keeps the route set empty
  and the To address as the target, so its ACK and BYE carry no Route for the proxy to follow.
"""

from __future__ import annotations

import re

from aiosipua import Dialog, SipRequest, SipResponse

ROUTE_ENTRY = re.compile(r"<[^>]*>[^,]*")  # one entry of a comma-separated Record-Route value
BRACKETED = re.compile(r"<([^>]*)>")


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


def take_route(dialog: Dialog, answer: SipResponse) -> None:
    """Set our outgoing call's route set and remote target from the first 2xx to its INVITE."""
    entries = [
        entry.group(0).strip()
        for value in answer.headers.get("record-route")
        for entry in ROUTE_ENTRY.finditer(value)
    ]
    dialog.route_set = list(reversed(entries))
    contact = answer.headers.get_first("contact")
    if contact:
        bracketed = BRACKETED.search(contact)
        dialog.remote_target = bracketed.group(1) if bracketed else contact.split(";")[0].strip()
