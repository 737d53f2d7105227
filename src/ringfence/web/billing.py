"""HTTP edge of billing: buying a credit pack, the balance and its history, and Stripe's
webhook."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from ringfence.billing.ledger import Ledger, wallet
from ringfence.billing.payments import Payments
from ringfence.http.bodies import upload
from ringfence.http.deps import LoginDep, check_csrf
from ringfence.http.instances import per_app

router = APIRouter(tags=["billing"])


def payments_of(request: Request) -> Payments:
    return per_app(request, Payments, lambda s: Payments(s.settings, s.db, s.privacy.clock))


@router.post("/api/billing/stripe/webhook")
@upload  # its own cap (billing.payments.MAX_PAYLOAD) applies after the upload cap
async def stripe_webhook(request: Request) -> dict[str, str]:
    """Stripe's events, verified by their ``Stripe-Signature`` header and applied once."""
    payload = await request.body()
    signature = request.headers.get("stripe-signature", "")
    return {"result": await payments_of(request).handle(payload, signature)}


@router.get("/api/billing/balance")
async def balance(request: Request, login: LoginDep) -> dict[str, Any]:
    payments = payments_of(request)
    currency = payments.options.currency.upper()
    async with payments.db.session() as session:
        amount = await Ledger(payments.clock).balance(session, wallet(login.account.id), currency)
    return {"currency": currency, "balance": amount}


@router.get("/api/billing/history")
async def history(request: Request, login: LoginDep) -> dict[str, Any]:
    """The wallet's movements, newest first: purchases, call charges, and the credit the
    operator granted or refunded, with the reason they gave."""
    payments = payments_of(request)
    currency = payments.options.currency.upper()
    async with payments.db.session() as session:
        moves = await Ledger(payments.clock).history(session, login.account.id, currency)
    return {
        "currency": currency,
        "movements": [
            {
                "kind": m.kind,
                "amount": m.amount,
                "at": m.at.isoformat(timespec="seconds"),
                "reason": m.reason,
            }
            for m in moves
        ],
    }


@router.post("/account/credit", include_in_schema=False)
async def buy_credit(
    request: Request,
    login: LoginDep,
    csrf: Annotated[str, Form(max_length=100)],
    amount: Annotated[int, Form()],
) -> Response:
    check_csrf(request, csrf, login)
    url = await payments_of(request).checkout(login.account, amount)
    return RedirectResponse(url, status_code=303)
