"""The business's signing secret: made (or replaced) on request and shown that once; its tools
and webhooks are signed with it (``signing``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.errors import Conflict
from ringfence.services.agents.hooks.signing import new_secret
from ringfence.services.agents.models import SigningSecret


async def current(session: AsyncSession, tenant_id: str) -> str:
    """The business's secret (in its scoped session); Conflict when it has none yet."""
    found = await session.get(SigningSecret, tenant_id)
    if found is None:
        raise Conflict("make the business's signing secret first (Connections: signing secret)")
    return found.secret


async def has_secret(session: AsyncSession, tenant_id: str) -> bool:
    return await session.get(SigningSecret, tenant_id) is not None


async def rotate(session: AsyncSession, tenant_id: str, clock: Clock) -> str:
    """A new secret in place of the old one (which stops signing at once)."""
    secret = new_secret()
    found = await session.get(SigningSecret, tenant_id)
    if found is None:
        session.add(SigningSecret(tenant_id=tenant_id, secret=secret, created_at=clock.now()))
    else:
        found.secret, found.created_at = secret, clock.now()
    return secret
