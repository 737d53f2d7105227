"""Post-call webhooks: when an agent call ends, each of the business's webhooks is told (the
``call.ended`` event: outcome, summary and, if the webhook asks for it, the transcript the
caller was told is recorded), signed with the business's secret.

A delivery is written in the same transaction as the call's record (``queue_for``), so none is
lost to a crash. The job queue's watch (``jobs.webhook_deliveries``) claims what is due and
enqueues a job for each (``jobs.webhook_send``), which builds the payload from the call's record
as it is then (a call erased since is not sent) and posts it, with its id in
``X-Ringfence-Delivery`` (a claim that lapsed may send it twice: receivers skip an id seen);
a failure (no reply, not 2xx) is tried again after ``webhook_retry_seconds``, doubled each time,
up to ``webhook_attempts`` tries. The deliveries are the log the agent page shows; they go
after ``LOG_DAYS`` (the privacy inventory's ``agent_webhook_delivery``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.clock import Clock
from ringfence.errors import InvalidInput, NotFound
from ringfence.privacy.core import Privacy
from ringfence.services.agents.hooks.address import checked_url
from ringfence.services.agents.hooks.client import HookFailed, post_signed
from ringfence.services.agents.hooks.secret import current
from ringfence.services.agents.models import AgentCall, Webhook, WebhookDelivery
from ringfence.settings import Settings
from ringfence.store.database import Database
from ringfence.tenants.scoping import tenant_session

EVENT = "call.ended"
MAX_WEBHOOKS = 5
LOG_DAYS = 30
TIMEOUT = 10.0
CLAIM_SECONDS = 60.0  # a claimed delivery not finished by then is due again (its worker died)
BATCH = 20


def webhook_dict(hook: Webhook) -> dict[str, Any]:
    return {"id": hook.id, "url": hook.url, "send_transcript": hook.send_transcript,
            "created_at": hook.created_at.isoformat()}  # fmt: skip


def delivery_dict(found: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": found.id,
        "webhook_id": found.webhook_id,
        "call_id": found.call_id,
        "event": found.event,
        "state": found.state,
        "attempts": found.attempts,
        "last_status": found.last_status,
        "last_error": found.last_error,
        "created_at": found.created_at.isoformat(),
        "delivered_at": found.delivered_at.isoformat() if found.delivered_at else None,
        "next_at": found.next_at.isoformat() if found.state == "pending" else None,
    }


def retry_after(settings: Settings, attempts: int) -> float:
    """Seconds before the next try once ``attempts`` tries failed (exponential backoff)."""
    return float(settings.agents.webhook_retry_seconds * 2 ** (attempts - 1))


async def add(session: AsyncSession, settings: Settings, clock: Clock, tenant_id: str,
              url: str, send_transcript: bool) -> Webhook:  # fmt: skip
    checked_url(url, settings.agents)
    await current(session, tenant_id)  # deliveries are signed: a secret must exist
    count = len((await session.scalars(select(Webhook.id))).all())
    if count >= MAX_WEBHOOKS:
        raise InvalidInput(f"a business has at most {MAX_WEBHOOKS} webhooks")
    hook = Webhook(url=url.strip(), send_transcript=send_transcript, created_at=clock.now())
    session.add(hook)
    await session.flush()
    return hook


async def remove(session: AsyncSession, webhook_id: str) -> None:
    hook = await session.get(Webhook, webhook_id[:32])
    if hook is None:
        raise NotFound("this business has no webhook with this id")
    await session.delete(hook)


async def queue_for(
    session: AsyncSession, call_id: str, agent_id: str, subject_ref: str, now: dt.datetime
) -> int:
    """A pending delivery of the call's end to each webhook (in the call record's session)."""
    hooks = (await session.scalars(select(Webhook))).all()
    for hook in hooks:
        session.add(
            WebhookDelivery(
                webhook_id=hook.id,
                call_id=call_id,
                agent_id=agent_id,
                subject_ref=subject_ref,
                event=EVENT,
                state="pending",
                attempts=0,
                next_at=now,
                created_at=now,
                keep_until=now + dt.timedelta(days=LOG_DAYS),
            )
        )
    return len(hooks)


async def log_of(session: AsyncSession, agent_id: str, limit: int = 50) -> list[WebhookDelivery]:
    found = await session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.agent_id == agent_id)
        .order_by(WebhookDelivery.created_at.desc())
        .limit(limit)
    )
    return list(found.all())


class Deliveries:
    """Sends what is due; run by every worker's watch, each delivery claimed by one."""

    def __init__(self, settings: Settings, db: Database, privacy: Privacy, clock: Clock) -> None:
        self.settings = settings
        self.db = db
        self.privacy = privacy
        self.clock = clock

    async def claim_due(self) -> list[tuple[str, str]]:
        """The deliveries due now, each claimed for ``CLAIM_SECONDS`` by this worker: (tenant,
        delivery) pairs to ``send``."""
        now = self.clock.now()
        async with self.db.session() as session:
            due = (
                await session.execute(
                    select(WebhookDelivery.tenant_id, WebhookDelivery.id)
                    .where(WebhookDelivery.state == "pending", WebhookDelivery.next_at <= now)
                    .order_by(WebhookDelivery.next_at)
                    .limit(BATCH)
                )
            ).all()
        return [(t, d) for t, d in due if await self._claim(t, d, now)]

    async def _claim(self, tenant_id: str, delivery_id: str, now: dt.datetime) -> bool:
        async with tenant_session(self.db, tenant_id) as session:
            won = await session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id == delivery_id,
                    WebhookDelivery.state == "pending",
                    WebhookDelivery.next_at <= now,
                )
                .values(next_at=now + dt.timedelta(seconds=CLAIM_SECONDS))
            )
        return bool(won.rowcount)  # type: ignore[attr-defined]

    async def send(self, tenant_id: str, delivery_id: str) -> None:
        """Post the delivery's event and record how it went (delivered, or when to retry)."""
        async with tenant_session(self.db, tenant_id) as session:
            found = await session.get(WebhookDelivery, delivery_id)
            hook = await session.get(Webhook, found.webhook_id) if found else None
            call = await session.get(AgentCall, found.call_id) if found else None
            if found is None:
                return
            if hook is None or call is None:  # the webhook was removed, or the call erased
                found.state, found.last_error = "dropped", "the webhook or the call is gone"
                return
            payload = await self._payload(session, found, hook, call)
            secret = await current(session, tenant_id)
            url = hook.url
        status: int | None = None
        error: str | None = None
        try:
            reply = await post_signed(
                url,
                payload,
                secret,
                seconds=TIMEOUT,
                settings=self.settings.agents,
                clock=self.clock,
                headers={"X-Ringfence-Delivery": delivery_id},
            )
            status = reply.status
            if not 200 <= reply.status < 300:
                error = f"HTTP {reply.status}"
        except HookFailed as exc:
            error = exc.reason[:200]
        await self._record(tenant_id, delivery_id, status, error)

    async def _record(
        self, tenant_id: str, delivery_id: str, status: int | None, error: str | None
    ) -> None:
        now = self.clock.now()
        async with tenant_session(self.db, tenant_id) as session:
            found = await session.get(WebhookDelivery, delivery_id)
            if found is None:
                return
            found.attempts += 1
            found.last_status, found.last_error = status, error
            if error is None:
                found.state, found.delivered_at = "delivered", now
            elif found.attempts >= self.settings.agents.webhook_attempts:
                found.state = "failed"
            else:
                wait = retry_after(self.settings, found.attempts)
                found.next_at = now + dt.timedelta(seconds=wait)

    async def _payload(
        self, session: AsyncSession, found: WebhookDelivery, hook: Webhook, call: AgentCall
    ) -> dict[str, Any]:
        vault = self.privacy.vault
        summary = await vault.decrypt(session, call.subject_ref, call.summary)
        record: dict[str, Any] = {
            "id": call.id,
            "agent_id": call.agent_id,
            "direction": call.direction,
            "caller": call.caller_masked,
            "started_at": call.started_at.isoformat(),
            "ended_at": call.ended_at.isoformat() if call.ended_at else None,
            "duration": round(call.duration, 1),
            "outcome": call.outcome,
            "booked": call.booked_slot,
            "summary": summary.decode(),
        }
        if hook.send_transcript:
            transcript = await vault.decrypt(session, call.subject_ref, call.transcript)
            record["transcript"] = json.loads(transcript)
        return {"event": found.event, "delivery": found.id, "call": record}
