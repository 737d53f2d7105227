"""The operator console, ``/admin``: the installation's carriers, rates and prices, credit,
users and businesses, rights requests, retention, jobs and the mail outbox, for operator
accounts only (``http.deps.require_operator_login``), every action in the audit log. Services
add their own sections under ``/admin/<name>`` through their manifest's ``admin`` module."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ringfence.http.deps import require_operator_login
from ringfence.web.admin import carriers, jobs, outbox, overview, people, rates, records, setup

router = APIRouter(include_in_schema=False)
router.include_router(setup.router)  # before any operator exists: its own checks
for section in (overview, carriers, rates, people, records, jobs, outbox):
    router.include_router(section.router, dependencies=[Depends(require_operator_login)])

__all__ = ["router"]
