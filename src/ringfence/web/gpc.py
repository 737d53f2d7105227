"""Global Privacy Control: ``Sec-GPC: 1`` is an opt-out of sale, sharing and optional cookies.

Every request learns it through ``request.state.gpc`` (pages then keep their banner's optional
choices off); a visitor who already has an anonymous id gets the opt-out recorded once, as a
consent record with method ``gpc``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from ringfence.errors import InvalidInput
from ringfence.http import cookies, deps
from ringfence.http.visitors import set_cookie
from ringfence.privacy import policy
from ringfence.privacy.consent import PURPOSES
from ringfence.privacy.subjects import ANON_COOKIE, anon_ref

GPC_RECORDED_COOKIE = "rf_gpc"


def install_gpc(app: FastAPI) -> None:
    @app.middleware("http")
    async def gpc(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.gpc = request.headers.get("sec-gpc") == "1"
        response = await call_next(request)
        if not request.state.gpc or cookies.read(request, GPC_RECORDED_COOKIE) == "1":
            return response
        try:
            ref = anon_ref(cookies.read(request, ANON_COOKIE))
        except InvalidInput:
            return response  # no anonymous id: nothing to attach a record to, nothing set
        privacy = deps.privacy(request)
        async with privacy.db.session() as session:
            stamp = await policy.current_stamp(session, privacy.inventory, privacy.clock)
            await privacy.consents.record(
                session,
                ref,
                dict.fromkeys(PURPOSES, False),
                method="gpc",
                service="platform",
                policy_version=stamp.version,
            )
        set_cookie(response, request, GPC_RECORDED_COOKIE, "1")
        return response
