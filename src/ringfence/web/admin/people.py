"""``/admin/users`` and ``/admin/tenants``: find accounts and businesses; suspend, reinstate or
erase an account; grant or refund credit with a reason; suspend, reinstate or close a business
(closing, confirmed by typing its name, is ``tenants.lifecycle``'s, as an owner's is).

An account is erased through the same path as its owner's own deletion (``Accounts.erase``:
the privacy core's erasure, legal holds kept); the operator confirms by typing its address.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from ringfence.accounts.models import OPERATOR
from ringfence.billing.ledger import AlreadyPosted, Ledger, business, wallet
from ringfence.billing.low_balance import LowBalance
from ringfence.errors import InvalidInput, NotFound, RingfenceError
from ringfence.http.console import audit, done, minor_units, render
from ringfence.http.deps import AccountsDep, OperatorLoginDep, OperatorsDep, PrivacyDep
from ringfence.http.forms import submit
from ringfence.tenants.lifecycle import Lifecycle
from ringfence.tenants.models import Tenant
from ringfence.tenants.service import Tenants

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]
MAX_MONTHLY_MINUTES = 1_000_000
Query = Annotated[str, Form(max_length=254)]


# -- users ---------------------------------------------------------------------------------------


@router.get("/admin/users", response_class=HTMLResponse)
async def users(
    request: Request, login: OperatorLoginDep, operators: OperatorsDep, q: str = ""
) -> Response:
    found = await operators.search(q[:254])
    return render(request, login, "admin/users.html", {"accounts": found, "q": q[:254]})


async def _user_page(
    request: Request,
    login: OperatorLoginDep,
    operators: OperatorsDep,
    privacy: PrivacyDep,
    account_id: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    named = await operators.get(account_id)
    account = named.account
    currency = privacy.settings.billing.currency.upper()
    ledger = Ledger(privacy.clock)
    async with privacy.db.session() as session:
        balance = await ledger.balance(session, wallet(account.id), currency)
        history = await ledger.history(session, account.id, currency)
    context = {
        "account": account,
        "email": named.email,
        "balance": balance,
        "currency": currency,
        "history": history,
        "error": error,
        "is_operator": account.role == OPERATOR,
        "form_key": secrets.token_urlsafe(18),  # the credit form's: posted twice, applied once
    }
    return render(request, login, "admin/user.html", context, status=status)


@router.get("/admin/users/{account_id}", response_class=HTMLResponse)
async def user(
    request: Request,
    login: OperatorLoginDep,
    operators: OperatorsDep,
    privacy: PrivacyDep,
    account_id: str,
) -> Response:
    return await _user_page(request, login, operators, privacy, account_id)


@router.post("/admin/users/{account_id}/credit")
async def credit(
    request: Request,
    login: OperatorLoginDep,
    operators: OperatorsDep,
    privacy: PrivacyDep,
    account_id: str,
    csrf: Csrf,
    kind: Annotated[str, Form(max_length=16)],
    amount: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=400)],
    key: Annotated[str, Form(min_length=16, max_length=64)],
) -> Response:
    """A grant or a refund. ``key`` is the form's own random id: a form posted twice (a
    reload, a double click) posts the movement once."""

    async def act() -> Response:
        account = (await operators.get(account_id)).account
        cents = minor_units(amount)
        currency = privacy.settings.billing.currency.upper()
        notice = "granted" if kind == "grant" else "refunded"
        async with privacy.db.session() as session:
            try:
                tx = await Ledger(privacy.clock).adjust(
                    session,
                    kind,
                    account.id,
                    cents,
                    currency,
                    reason=reason,
                    reference=f"operator:{key}",
                )
            except AlreadyPosted:  # the same form posted again: it was done the first time
                return done(f"/admin/users/{account.id}", notice)
            audit(
                session,
                request,
                login,
                f"admin.credit.{kind}",
                subject_ref=account.subject_ref,
                amount=cents,
                currency=currency,
                transaction=tx,
            )
        await LowBalance(privacy).observe(account.id)
        return done(f"/admin/users/{account.id}", notice)

    async def again(exc: RingfenceError) -> Response:
        return await _user_page(
            request,
            login,
            operators,
            privacy,
            account_id,
            error=exc.message,
            status=exc.http_status,
        )

    return await submit(request, csrf, login, act, again)


@router.post("/admin/users/{account_id}/suspend")
async def suspend(
    request: Request,
    login: OperatorLoginDep,
    operators: OperatorsDep,
    privacy: PrivacyDep,
    account_id: str,
    csrf: Csrf,
    action: Annotated[str, Form(pattern="^(suspend|reinstate)$")],
) -> Response:
    async def act() -> Response:
        if action == "suspend":
            await operators.suspend(account_id, login.account)
            return done(f"/admin/users/{account_id}", "suspended")
        await operators.reinstate(account_id, login.account)
        return done(f"/admin/users/{account_id}", "reinstated")

    async def again(exc: RingfenceError) -> Response:
        return await _user_page(
            request, login, operators, privacy, account_id, error=exc.message, status=400
        )

    return await submit(request, csrf, login, act, again)


@router.post("/admin/users/{account_id}/delete")
async def delete(
    request: Request,
    login: OperatorLoginDep,
    operators: OperatorsDep,
    accounts: AccountsDep,
    privacy: PrivacyDep,
    account_id: str,
    csrf: Csrf,
    confirm: Query,
) -> Response:
    async def act() -> Response:
        account = (await operators.get(account_id)).account
        if operators.addresses.digest(confirm) != account.email_hash:
            raise InvalidInput("type the account's e-mail address to confirm")
        if account.role == OPERATOR:
            raise InvalidInput("revoke the operator role before erasing the account")
        actions = await accounts.erase(account)
        async with privacy.db.session() as session:
            audit(
                session,
                request,
                login,
                "admin.account.erased",
                subject_ref=account.subject_ref,
                steps=len(actions),
            )
        return done("/admin/users", "deleted")

    async def again(exc: RingfenceError) -> Response:
        return await _user_page(
            request, login, operators, privacy, account_id, error=exc.message, status=400
        )

    return await submit(request, csrf, login, act, again)


# -- businesses ----------------------------------------------------------------------------------


def _tenants(privacy: PrivacyDep) -> Tenants:
    return Tenants(privacy.db, privacy.clock)


async def _tenants_page(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    q: str = "",
    *,
    error: str | None = None,
    status: int = 200,
) -> Response:
    found = await _tenants(privacy).search(q[:120])
    currency = privacy.settings.billing.currency.upper()
    ledger = Ledger(privacy.clock)
    async with privacy.db.session() as session:
        balances = {
            row.tenant.id: await ledger.balance(session, wallet(business(row.tenant.id)), currency)
            for row in found
        }
    context = {
        "tenants": found,
        "q": q[:120],
        "balances": balances,
        "currency": currency,
        "error": error,
        "form_key": secrets.token_urlsafe(18),
    }
    return render(request, login, "admin/tenants.html", context, status=status)


@router.get("/admin/tenants", response_class=HTMLResponse)
async def tenants(
    request: Request, login: OperatorLoginDep, privacy: PrivacyDep, q: str = ""
) -> Response:
    return await _tenants_page(request, login, privacy, q)


@router.post("/admin/tenants/{tenant_id}/credit")
async def credit_tenant(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    tenant_id: str,
    csrf: Csrf,
    amount: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=400)],
    key: Annotated[str, Form(min_length=16, max_length=64)],
) -> Response:
    """Grant a business credit its agents' calls are paid from (posted once per form)."""

    async def act() -> Response:
        found = [t for t in await _tenants(privacy).search() if t.tenant.id == tenant_id[:32]]
        if not found:
            raise InvalidInput("no such business")
        cents = minor_units(amount)
        currency = privacy.settings.billing.currency.upper()
        async with privacy.db.session() as session:
            try:
                tx = await Ledger(privacy.clock).adjust(
                    session, "grant", business(tenant_id[:32]), cents, currency,
                    reason=reason, reference=f"operator:{key}",
                )  # fmt: skip
            except AlreadyPosted:
                return done("/admin/tenants", "granted")
            audit(session, request, login, "admin.credit.grant", tenant=tenant_id[:32],
                  amount=cents, currency=currency, transaction=tx)  # fmt: skip
        return done("/admin/tenants", "granted")

    async def again(exc: RingfenceError) -> Response:
        return await _tenants_page(
            request, login, privacy, error=exc.message, status=exc.http_status
        )

    return await submit(request, csrf, login, act, again)


@router.post("/admin/tenants/{tenant_id}/quota")
async def tenant_quota(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    tenant_id: str,
    csrf: Csrf,
    minutes: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """The agent minutes a business may use in a calendar month; blank: no limit."""

    async def act() -> Response:
        quota = _minutes(minutes)
        async with privacy.db.session() as session:
            tenant = await session.get(Tenant, tenant_id[:32])
            if tenant is None or tenant.closed_at is not None:
                raise NotFound("no such business")
            tenant.minutes_per_month = quota
            audit(session, request, login, "admin.tenant.quota", tenant=tenant.id, minutes=quota)
        return done("/admin/tenants", "quota-set")

    async def again(exc: RingfenceError) -> Response:
        return await _tenants_page(
            request, login, privacy, error=exc.message, status=exc.http_status
        )

    return await submit(request, csrf, login, act, again)


def _minutes(text: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit() or int(text) > MAX_MONTHLY_MINUTES:
        raise InvalidInput(
            f"the quota is a whole number of minutes from 0 to {MAX_MONTHLY_MINUTES:,}, "
            "or blank for no limit"
        )
    return int(text)


@router.post("/admin/tenants/{tenant_id}/suspend")
async def suspend_tenant(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    tenant_id: str,
    csrf: Csrf,
    action: Annotated[str, Form(pattern="^(suspend|reinstate)$")],
) -> Response:
    async def act() -> Response:
        suspend = action == "suspend"
        await _tenants(privacy).set_suspended(tenant_id, suspend, login.account)
        return done("/admin/tenants", "suspended" if suspend else "reinstated")

    async def again(exc: RingfenceError) -> Response:
        return await _tenants_page(
            request, login, privacy, error=exc.message, status=exc.http_status
        )

    return await submit(request, csrf, login, act, again)


@router.post("/admin/tenants/{tenant_id}/close")
async def close_tenant(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    tenant_id: str,
    csrf: Csrf,
    confirm: Annotated[str, Form(max_length=120)],
) -> Response:
    """Close the business: its agents stop at once; its data is purged when the
    ``closed_business`` retention ends."""

    async def act() -> Response:
        lifecycle = Lifecycle(privacy.db, privacy.inventory, privacy.clock)
        await lifecycle.close(login.account, tenant_id, confirm, operator=True)
        return done("/admin/tenants", "closed")

    async def again(exc: RingfenceError) -> Response:
        return await _tenants_page(
            request, login, privacy, error=exc.message, status=exc.http_status
        )

    return await submit(request, csrf, login, act, again)
