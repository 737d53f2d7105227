"""Liveness (the process answers) and readiness (its database and Redis answer).

Readiness also warns, without failing, about what works but is not safe: a job queue on a Redis
that would lose its queued jobs on a restart (no append-only persistence)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ringfence.jobs.durability import redis_persistence

router = APIRouter(tags=["health"])

CHECK_TIMEOUT = 3.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks: dict[str, str] = {}
    warnings: dict[str, str] = {}
    try:
        await asyncio.wait_for(state.db.ping(), CHECK_TIMEOUT)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    if state.redis is not None:
        try:
            await asyncio.wait_for(state.redis.ping(), CHECK_TIMEOUT)
            checks["redis"] = "ok"
            if state.queue.backend == "redis":
                warning = await asyncio.wait_for(redis_persistence(state.redis), CHECK_TIMEOUT)
                if warning is not None:
                    warnings["job_queue"] = warning
        except Exception as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks, "warnings": warnings},
        status_code=200 if ready else 503,
    )
