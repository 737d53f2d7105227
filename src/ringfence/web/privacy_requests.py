"""Consent choices and rights requests from the browser.

The anonymous id cookie (``rf_anon``) is strictly necessary: it is set only when a visitor makes a
choice or a request, and it is their proof of identity for requests about anonymous data. Receipts
are fetched with tokens kept in the visitor's own ``rf_receipts`` cookie.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from ringfence.errors import Forbidden, NotFound
from ringfence.http import cookies, deps
from ringfence.http.deps import CsrfHeader, MaybeLoginDep
from ringfence.http.negotiation import wants_html
from ringfence.http.visitors import anon_id, set_cookie
from ringfence.privacy import policy
from ringfence.privacy.consent import PURPOSES
from ringfence.privacy.receipts import verify_receipt
from ringfence.privacy.rights import KINDS
from ringfence.privacy.subjects import ANON_COOKIE, anon_ref
from ringfence.web.account_privacy import (
    api_request,
    json_answer,
    keep_receipt,
    page_context,
    receipt_tokens,
)
from ringfence.web.privacy_choices import CONSENT_COOKIE, delete_covered, write_consent

router = APIRouter(tags=["privacy"])


def _same_origin(request: Request) -> None:
    """Cookies are SameSite=Lax; a cross-site Origin on a state change is refused as well."""
    origin = request.headers.get("origin")
    if origin and origin.split("://", 1)[-1] != request.headers.get("host"):
        raise Forbidden("cross-site request refused")


class ConsentIn(BaseModel):
    choices: dict[str, bool] = Field(
        description="purpose -> granted; purposes: " + ", ".join(PURPOSES)
    )
    method: str = Field("banner", description="banner or manage")
    service: str = Field("platform", max_length=32)


@router.post("/privacy/consent")
async def give_consent(request: Request, body: ConsentIn) -> JSONResponse:
    """Record a consent choice; Global Privacy Control (``Sec-GPC: 1``) overrides any grant of
    sale/sharing or optional cookies and is recorded as such."""
    _same_origin(request)
    privacy = deps.privacy(request)
    visitor = anon_id(request).value
    choices = dict(body.choices)
    method = body.method if body.method in ("banner", "manage") else "banner"
    gpc = request.headers.get("sec-gpc") == "1"
    async with privacy.db.session() as session:
        stamp = await policy.current_stamp(session, privacy.inventory, privacy.clock)
        if gpc:
            await privacy.consents.record(
                session,
                anon_ref(visitor),
                dict.fromkeys(PURPOSES, False),
                method="gpc",
                service=body.service,
                policy_version=stamp.version,
            )
            choices = dict.fromkeys(choices, False)
        await privacy.consents.record(
            session,
            anon_ref(visitor),
            choices,
            method=method,
            service=body.service,
            policy_version=stamp.version,
        )
    state = {p: choices.get(p, False) for p in PURPOSES}
    response = JSONResponse({"consent": state, "gpc": gpc, "policy_version": stamp.version})
    set_cookie(response, request, ANON_COOKIE, visitor)
    write_consent(response, request, privacy.inventory, state)
    return response


@router.get("/privacy/requests", response_class=HTMLResponse, include_in_schema=False)
async def requests_page(request: Request, login: MaybeLoginDep) -> HTMLResponse:
    """The anonymous visitor's request form, or, signed in, the account's forms."""
    templates = deps.templates(request)
    mine = [item.split(":", 1)[0] for item in receipt_tokens(request)]
    account = await page_context(request, login) if login is not None else {}
    return templates.TemplateResponse(
        request,
        "privacy/requests.html",
        {"title": "Your privacy requests", "kinds": KINDS, "mine": mine, **account},
    )


class RequestIn(BaseModel):
    kind: str = Field(description="One of: " + ", ".join(KINDS))
    payload: dict[str, Any] = Field(
        default_factory=dict,
        description="For rectify: category, field, value. Signed in, for erase: password.",
    )


@router.post("/privacy/requests", response_model=None)
async def submit_request(
    request: Request, body: RequestIn, login: MaybeLoginDep, x_csrf_token: CsrfHeader = ""
) -> Response:
    """Make a rights request and get the answer and a signed receipt. Signed in, it is about
    the account and everything linked to it (the session's ``X-CSRF-Token`` required; an
    erasure needs ``payload.password``); otherwise about this browser's anonymous data,
    verified by its cookie."""
    _same_origin(request)
    if login is not None:
        return await api_request(request, login, body.kind, body.payload, x_csrf_token)
    privacy = deps.privacy(request)
    found = anon_id(request)
    visitor, new = found.value, found.new
    ref = anon_ref(visitor)
    async with privacy.db.session() as session:
        stamp = await policy.current_stamp(session, privacy.inventory, privacy.clock)
        rights = privacy.rights(stamp.version)
        submitted = await rights.submit(
            session, body.kind, ref, verified_via="anonymous_cookie", payload=body.payload
        )
        answer = await rights.fulfil(session, submitted.request.id)
    response = JSONResponse(json_answer(submitted, body.kind, answer))
    keep_receipt(request, response, submitted)
    withdrawn = dict.fromkeys(PURPOSES, False)
    if body.kind == "withdraw_consent":
        write_consent(response, request, privacy.inventory, withdrawn)
    if body.kind == "erase":
        # Nothing of this browser is left to prove: its anonymous id goes too, and so do the
        # cookies its consents allowed.
        cookies.delete(response, request, ANON_COOKIE)
        cookies.delete(response, request, CONSENT_COOKIE)
        delete_covered(response, request, privacy.inventory, withdrawn)
    elif new:
        set_cookie(response, request, ANON_COOKIE, visitor)
    return response


@router.get("/privacy/requests/{request_id}/receipt", response_model=None)
async def get_receipt(
    request: Request, request_id: str, format: Literal["json", "page"] | None = None
) -> Response:
    """The signed receipt of one of this browser's requests: the signed JSON document, or (for a
    browser, or ``format=page``) a page that reads it out."""
    privacy = deps.privacy(request)
    tokens = dict(item.split(":", 1) for item in receipt_tokens(request))
    token = tokens.get(request_id)
    if token is None:
        raise NotFound("no such request in this browser")
    async with privacy.db.session() as session:
        stamp = await policy.current_stamp(session, privacy.inventory, privacy.clock)
        document = await privacy.rights(stamp.version).receipt(session, request_id, token)
    signed = json.loads(document)
    if format == "json" or (format is None and not wants_html(request)):
        return JSONResponse(content=signed)
    titles = {c.name: c.title for c in privacy.inventory}
    context = {
        "title": "Receipt of your request",
        "receipt": signed["receipt"],
        "kinds": KINDS,
        "titles": titles,
        "document": json.dumps(signed, indent=2),
    }
    return deps.templates(request).TemplateResponse(request, "privacy/receipt.html", context)


@router.get("/privacy/receipt-key", response_class=Response)
async def receipt_key(request: Request) -> Response:
    """The Ed25519 public key that verifies rights-request receipts (PEM)."""
    privacy = deps.privacy(request)
    return Response(privacy.signer.public_pem, media_type="application/x-pem-file")


@router.post("/privacy/receipts/verify")
async def verify(request: Request, document: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Whether a receipt was signed by this installation and is unaltered."""
    privacy = deps.privacy(request)
    body = verify_receipt(json.dumps(document), privacy.signer.key.public_key())
    return {"valid": body is not None, "receipt": body}
