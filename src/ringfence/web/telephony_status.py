"""``/api/telephony/status``: whether the SIP engine runs, its trunks (the built-in test phone's
marked ``builtin``) and how many calls are up.

The operator's (``http.deps.require_operator``: the operator token, or a request from the server
itself), and even so it shows no call details: counts only, and trunk names and hosts without
credentials.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request

from ringfence.http import deps

router = APIRouter(tags=["telephony"])


@router.get("/api/telephony/status", dependencies=[deps.OperatorOnly])
async def telephony_status(request: Request) -> dict[str, Any]:
    settings = deps.settings(request)
    engine = request.app.state.telephony
    status: dict[str, Any] = (
        engine.status() if engine is not None else {"running": False, "calls": []}
    )
    return {
        "running": status["running"],
        "sip": status.get("sip"),
        # The engine's trunks (the built-in test phone's included) once it runs.
        "carriers": status.get("carriers")
        or [
            {"name": c.name, "host": c.host, "port": c.port, "prefixes": c.prefixes}
            for c in settings.telephony.carriers
        ],
        "registrations": status.get("registrations", {}),
        "calls": dict(Counter(call["state"] for call in status["calls"])),
    }
