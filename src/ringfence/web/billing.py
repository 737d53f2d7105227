"""HTTP edge of billing: the credit page (balance, history and packs), buying a pack through
Stripe Checkout, the balance and its history as JSON, and Stripe's webhook. Without Stripe the page
says so, and why no pack can be bought, instead of failing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from ringfence.accounts.service import Login
from ringfence.billing.ledger import Ledger, wallet
from ringfence.billing.low_balance import LowBalance
from ringfence.billing.payments import Payments
from ringfence.billing.receipt_pdf import pdf
from ringfence.billing.receipts import Receipts
from ringfence.errors import InvalidInput, RingfenceError
from ringfence.http import deps
from ringfence.http.bodies import upload
from ringfence.http.console import minor_units
from ringfence.http.deps import LoginDep, MaybeLoginDep, check_csrf
from ringfence.http.instances import per_app

router = APIRouter(tags=["billing"])


def payments_of(request: Request) -> Payments:
    return per_app(request, Payments, lambda s: Payments(s.privacy))


def low_balance_of(request: Request) -> LowBalance:
    return payments_of(request).low_balance


@router.post("/api/billing/stripe/webhook")
@upload  # its own cap (billing.payments.MAX_PAYLOAD) applies after the upload cap
async def stripe_webhook(request: Request) -> dict[str, str]:
    """Stripe's events, verified by their ``Stripe-Signature`` header and applied once."""
    payload = await request.body()
    signature = request.headers.get("stripe-signature", "")
    return {"result": await payments_of(request).handle(payload, signature)}


async def _balance(request: Request, login: Login) -> dict[str, Any]:
    payments = payments_of(request)
    currency = payments.options.currency.upper()
    async with payments.db.session() as session:
        amount = await Ledger(payments.clock).balance(session, wallet(login.account.id), currency)
    return {"currency": currency, "balance": amount}


@router.get("/api/billing/balance")
async def balance(request: Request, login: LoginDep) -> dict[str, Any]:
    return await _balance(request, login)


async def _credit_page(
    request: Request,
    login: Login,
    error: str = "",
    status: int = 200,
    *,
    alert_error: str = "",
    typed: str | None = None,
) -> Response:
    payments = payments_of(request)
    async with payments.db.session() as session:
        receipts = await Receipts(payments.settings).list(session, login.account.id, login.email)
    context = {
        "title": "Your credit",
        **await _balance(request, login),
        "receipts": receipts,
        "alert": await low_balance_of(request).choice(login.account.id),
        "alert_error": alert_error,
        "typed": typed,
        "saved": request.query_params.get("saved"),
        "packs": payments.options.packs,
        "payments": payments.options.stripe_secret_key is not None,
        "csrf": login.session.csrf,
        "error": error,
        "paid": request.query_params.get("paid"),
    }
    return deps.templates(request).TemplateResponse(
        request, "billing/credit.html", context, status_code=status
    )


@router.get("/account/credit", response_class=HTMLResponse, include_in_schema=False)
async def credit_page(request: Request, login: MaybeLoginDep) -> Response:
    if login is None:
        return RedirectResponse("/account/login", status_code=303)
    return await _credit_page(request, login)


@router.post("/account/credit/low-balance", include_in_schema=False)
async def choose_low_balance(
    request: Request,
    login: LoginDep,
    csrf: Annotated[str, Form(max_length=100)],
    choice: Annotated[str, Form(max_length=16)],
    amount: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The low-balance e-mail: the installation's amount, the account's own, or none. A wrong
    amount is said next to the field (422), with what was typed, and nothing changes."""
    check_csrf(request, csrf, login)
    try:
        if choice not in ("default", "own", "off"):
            raise InvalidInput("choose one of the options")
        threshold = minor_units(amount) if choice == "own" else None
        await low_balance_of(request).choose(
            login.account.id, enabled=choice != "off", threshold=threshold
        )
    except InvalidInput as exc:
        return await _credit_page(
            request, login, status=exc.http_status, alert_error=exc.message, typed=amount
        )
    return RedirectResponse("/account/credit?saved=1", status_code=303)


@router.get(
    "/account/credit/receipts/{number}", response_class=HTMLResponse, include_in_schema=False
)
async def receipt_page(request: Request, login: MaybeLoginDep, number: str) -> Response:
    """A purchase's (or grant's) receipt; another account's is not found (404)."""
    if login is None:
        return RedirectResponse("/account/login", status_code=303)
    payments = payments_of(request)
    async with payments.db.session() as session:
        receipt = await Receipts(payments.settings).get(
            session, login.account.id, login.email, number
        )
    context = {"title": f"Receipt {receipt.number}", "receipt": receipt}
    return deps.templates(request).TemplateResponse(request, "billing/receipt.html", context)


@router.get("/account/credit/receipts/{number}/receipt.pdf", include_in_schema=False)
async def receipt_pdf(request: Request, login: LoginDep, number: str) -> Response:
    """The same receipt as a PDF, to download and file."""
    payments = payments_of(request)
    async with payments.db.session() as session:
        receipt = await Receipts(payments.settings).get(
            session, login.account.id, login.email, number
        )
    name = f"receipt-{receipt.number}.pdf"
    return Response(
        pdf(receipt),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


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
    try:
        url = await payments_of(request).checkout(login.account, amount)
    except RingfenceError as exc:  # no Stripe, or not a pack on offer: said on the page
        return await _credit_page(request, login, exc.message, exc.http_status)
    return RedirectResponse(url, status_code=303)
