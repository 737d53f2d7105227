"""A business's API keys: its own systems call the agents API with ``Authorization: Bearer
<key>``, limited to the key's scopes and its business.

A key is ``rfk_`` and 43 random URL-safe characters, shown once when made; only its SHA-256
is kept (a 256-bit random key needs no slow hash), with its first characters to tell keys
apart. A revoked key is refused at once. ``Grant`` is what a request with a key is: a tenant
and scopes, passed where a member's ``Account`` would be (``Tenants.role`` checks both).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from ringfence.accounts.models import Account
from ringfence.clock import Clock
from ringfence.errors import InvalidInput, NotFound, RingfenceError
from ringfence.store.database import Database
from ringfence.tenants.models import ApiKey

PREFIX = "rfk_"
# What each scope lets a key do, as the members' permissions (``tenants.roles``).
SCOPES: dict[str, frozenset[str]] = {
    "agents:read": frozenset({"agents.read"}),
    "agents:write": frozenset({"agents.read", "agents.edit"}),
    "calls:read": frozenset({"calls.read"}),
}


class Unauthorized(RingfenceError):
    code = "unauthorized"
    http_status = 401


@dataclass(frozen=True)
class Grant:
    """A request made with a business's key: what it may do, and for which business only."""

    key_id: str
    tenant_id: str
    scopes: frozenset[str]

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset().union(*(SCOPES[s] for s in self.scopes if s in SCOPES))


Principal = Account | Grant


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def checked_scopes(scopes: list[str]) -> frozenset[str]:
    chosen = frozenset(s.strip() for s in scopes if s.strip())
    unknown = sorted(chosen - set(SCOPES))
    if unknown:
        raise InvalidInput(f"unknown scope {unknown[0]!r}; one of: {', '.join(SCOPES)}")
    if not chosen:
        raise InvalidInput(f"choose at least one scope: {', '.join(SCOPES)}")
    return chosen


def key_dict(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "hint": key.hint,
        "scopes": key.scopes.split(),
        "created_at": key.created_at.isoformat(),
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


class ApiKeys:
    """Make, list, revoke and check keys. Who may manage them is the caller's check
    (``Tenants.role(..., "members.manage")``)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def make(self, tenant_id: str, name: str, scopes: list[str]) -> tuple[str, ApiKey]:
        """The new key (shown once: it is not kept) and its row."""
        name = " ".join(name.split())
        if not name or len(name) > 80:
            raise InvalidInput("give the key a name of at most 80 characters")
        chosen = checked_scopes(scopes)
        key = PREFIX + secrets.token_urlsafe(32)
        row = ApiKey(
            tenant_id=tenant_id,
            name=name,
            key_hash=digest(key),
            hint=key[:10],
            scopes=" ".join(sorted(chosen)),
            created_at=self.clock.now(),
        )
        async with self.db.session() as session:
            session.add(row)
        return key, row

    async def of(self, tenant_id: str) -> list[ApiKey]:
        async with self.db.session() as session:
            rows = await session.scalars(
                select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.created_at)
            )
            return list(rows.all())

    async def revoke(self, tenant_id: str, key_id: str) -> None:
        async with self.db.session() as session:
            done = await session.execute(
                update(ApiKey)
                .where(ApiKey.id == key_id[:32], ApiKey.tenant_id == tenant_id)
                .values(revoked_at=self.clock.now())
            )
        if not done.rowcount:  # type: ignore[attr-defined]
            raise NotFound("this business has no key with this id")

    async def grant(self, key: str) -> Grant:
        """What the presented key may do; Unauthorized (401) for an unknown or revoked key."""
        if not key.startswith(PREFIX) or len(key) > 100:
            raise Unauthorized("not an API key of this installation")
        async with self.db.session() as session:
            row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == digest(key)))
            if row is None or row.revoked_at is not None:
                raise Unauthorized("this API key is unknown or was revoked")
            row.last_used_at = self.clock.now()
            return Grant(row.id, row.tenant_id, frozenset(row.scopes.split()))
