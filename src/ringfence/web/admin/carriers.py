"""``/admin/carriers``: each carrier (the configured trunks, and the built-in test phone while it
is the carrier) with its registration status, and a test call through the outbound gate to a
number the operator types, with what the carrier answered."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from ringfence.errors import Forbidden, RingfenceError, ServiceUnavailable
from ringfence.http.console import audit, render
from ringfence.http.deps import OperatorLoginDep, PrivacyDep, SettingsDep, TelephonyDep
from ringfence.http.forms import submit
from ringfence.redact import mask_number
from ringfence.settings import Settings
from ringfence.telephony import TelephonyEngine
from ringfence.telephony.dialing import parse
from ringfence.telephony.gate import OutboundGate
from ringfence.telephony.test_call import TestCallResult, test_call

router = APIRouter(include_in_schema=False)


def _carriers(settings: Settings, engine: TelephonyEngine | None) -> list[dict[str, Any]]:
    shown = []
    carriers = settings.telephony.carriers if engine is None else engine.carriers
    for carrier in carriers:
        if engine is None or not engine.running:
            registration = "telephony is not running"
        elif carrier.name in engine.builtin:
            registration = "built in: the test phone (/phone), on this machine"
        elif not carrier.registers:
            registration = "does not register (authenticated by address)"
        else:
            registration = engine.registrations.get(carrier.name, "not started")
        shown.append(
            {
                "name": carrier.name,
                "host": f"{carrier.host}:{carrier.port}",
                "transport": carrier.transport,
                "prefixes": ", ".join(carrier.prefixes) or "every destination",
                "caller_id": mask_number(carrier.caller_id) if carrier.caller_id else "",
                "registration": registration,
            }
        )
    return shown


def _page(
    request: Request,
    login: OperatorLoginDep,
    settings: Settings,
    engine: TelephonyEngine | None,
    *,
    result: TestCallResult | None = None,
    error: str | None = None,
    number: str = "",
    status: int = 200,
) -> Response:
    context = {
        "carriers": _carriers(settings, engine),
        "running": engine is not None and engine.running,
        "result": result,
        "error": error,
        "number": number,
    }
    return render(request, login, "admin/carriers.html", context, status=status)


@router.get("/admin/carriers", response_class=HTMLResponse)
async def carriers(
    request: Request, login: OperatorLoginDep, settings: SettingsDep, engine: TelephonyDep
) -> Response:
    return _page(request, login, settings, engine)


@router.post("/admin/carriers/test-call")
async def place_test_call(
    request: Request,
    login: OperatorLoginDep,
    settings: SettingsDep,
    privacy: PrivacyDep,
    engine: TelephonyDep,
    csrf: Annotated[str, Form(max_length=100)],
    number: Annotated[str, Form(max_length=32)],
) -> Response:
    async def act() -> Response:
        if engine is None or not engine.running or not engine.carriers:
            raise ServiceUnavailable("no carrier to call through: telephony is off or no trunk")
        parsed = parse(number, None)
        gate = OutboundGate(engine, privacy.db, privacy.clock, settings)
        try:
            result = await test_call(gate, parsed)
        except Forbidden as exc:  # the dialling policy's refusal: the operator's to read here
            return again(exc)
        async with privacy.db.session() as session:
            audit(
                session,
                request,
                login,
                "admin.carrier.test_call",
                carrier=result.carrier,
                to=mask_number(parsed.e164),
                outcome=result.outcome,
                status=result.status,
            )
        return _page(request, login, settings, engine, result=result, number=number)

    def again(exc: RingfenceError) -> Response:
        return _page(
            request,
            login,
            settings,
            engine,
            error=exc.message,
            number=number,
            status=exc.http_status,
        )

    return await submit(request, csrf, login, act, again)
