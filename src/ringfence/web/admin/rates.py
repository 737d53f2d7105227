"""``/admin/rates``: the rate table in force (the operator's CSV with the console's prices over
it) and the form that sets, or removes, a destination's price; and the usage prices (an AI
agent's minute, a campaign's call) charged on top of a call's rate. Billing charges the stored
price from the next call on (``billing.calls.CallCharges``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from ringfence.billing.calls import CallCharges
from ringfence.billing.rates import Rate
from ringfence.billing.usage import KINDS, UsagePrices
from ringfence.errors import InvalidInput, RingfenceError
from ringfence.http.console import audit, done, minor_units, render
from ringfence.http.deps import OperatorLoginDep, PrivacyDep
from ringfence.http.forms import submit

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=100)]


def _charges(privacy: PrivacyDep) -> CallCharges:
    return CallCharges(privacy.settings, privacy.clock)


async def _page(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    charges = _charges(privacy)
    file_error = None
    try:
        base = charges.file_rates()
    except RingfenceError as exc:  # a broken CSV: the console still shows its own prices
        base, file_error = None, exc.message
    async with privacy.db.session() as session:
        overrides = {o.prefix for o in await charges.prices.overrides(session)}
        table = await charges.prices.table(session, base)
        usage = await UsagePrices(privacy.clock).all(session)
    rates = sorted(table.rates, key=lambda r: r.prefix)
    context = {
        "rates": rates,
        "overrides": overrides,
        "currency": charges.currency,
        "rates_file": privacy.settings.billing.rates_file,
        "file_error": file_error,
        "error": error,
        "form": form or {},
        "usage": [(name, label, usage.get(name, 0)) for name, label in KINDS.items()],
    }
    return render(request, login, "admin/rates.html", context, status=status)


@router.get("/admin/rates", response_class=HTMLResponse)
async def rates(request: Request, login: OperatorLoginDep, privacy: PrivacyDep) -> Response:
    return await _page(request, login, privacy)


def _increment(text: str) -> tuple[int, int]:
    first, _, step = text.strip().partition("/")
    try:
        return int(first), int(step or first)
    except ValueError:
        raise InvalidInput("the increment is seconds as first/next, such as 60/60 or 1/1") from None


@router.post("/admin/rates")
async def set_price(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    csrf: Csrf,
    prefix: Annotated[str, Form(max_length=16)],
    price: Annotated[str, Form(max_length=20)],
    increment: Annotated[str, Form(max_length=11)] = "60/60",
    connection_fee: Annotated[str, Form(max_length=20)] = "0",
    name: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    form = {
        "prefix": prefix,
        "price": price,
        "increment": increment,
        "connection_fee": connection_fee,
        "name": name,
    }

    async def act() -> Response:
        charges = _charges(privacy)
        first, step = _increment(increment)
        rate = Rate(
            prefix=prefix.strip().lstrip("+"),
            price_per_minute=minor_units(price, zero=True),
            first=first,
            step=step,
            connection_fee=minor_units(connection_fee or "0", zero=True),
            currency=charges.currency,
            name=name.strip(),
        )
        async with privacy.db.session() as session:
            await charges.prices.set(session, rate, charges.currency)
            audit(
                session,
                request,
                login,
                "admin.price.set",
                prefix=rate.prefix,
                price_per_minute=rate.price_per_minute,
                increment=f"{rate.first}/{rate.step}",
                connection_fee=rate.connection_fee,
                currency=rate.currency,
            )
        return done("/admin/rates", "price-set")

    async def again(exc: RingfenceError) -> Response:
        return await _page(
            request, login, privacy, error=exc.message, form=form, status=exc.http_status
        )

    return await submit(request, csrf, login, act, again)


@router.post("/admin/rates/remove")
async def remove_price(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    csrf: Csrf,
    prefix: Annotated[str, Form(max_length=16)],
) -> Response:
    async def act() -> Response:
        async with privacy.db.session() as session:
            await _charges(privacy).prices.remove(session, prefix)
            audit(session, request, login, "admin.price.removed", prefix=prefix)
        return done("/admin/rates", "price-removed")

    async def again(exc: RingfenceError) -> Response:
        return await _page(request, login, privacy, error=exc.message, status=exc.http_status)

    return await submit(request, csrf, login, act, again)


@router.post("/admin/rates/usage")
async def set_usage_price(
    request: Request,
    login: OperatorLoginDep,
    privacy: PrivacyDep,
    csrf: Csrf,
    name: Annotated[str, Form(max_length=40)],
    price: Annotated[str, Form(max_length=20)],
) -> Response:
    """A usage price (an agent's minute, a campaign's call), charged from the next call on."""

    async def act() -> Response:
        cents = minor_units(price, zero=True)
        async with privacy.db.session() as session:
            await UsagePrices(privacy.clock).set(session, name, cents)
            audit(session, request, login, "admin.usage_price.set", name=name, price=cents)
        return done("/admin/rates", "price-set")

    async def again(exc: RingfenceError) -> Response:
        return await _page(request, login, privacy, error=exc.message, status=exc.http_status)

    return await submit(request, csrf, login, act, again)
