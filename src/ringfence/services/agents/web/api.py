"""HTTP edge of agents: the JSON API for businesses, agents and their knowledge base (members and
their invitations: ``members``).

Every ``/api/tenants/{tenant_id}/...`` route checks the caller's membership and role, then works
in a session scoped to that tenant: an id of another business's agent is simply not found.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from ringfence.errors import Conflict, InvalidInput, NotFound
from ringfence.http.bodies import upload
from ringfence.http.deps import (
    ClockDep,
    CsrfHeader,
    DatabaseDep,
    LoginDep,
    SettingsDep,
    check_csrf_header,
)
from ringfence.services.agents.calls.wiring import conversation_for
from ringfence.services.agents.campaigns.contacts import Columns, preflight
from ringfence.services.agents.campaigns.rules import CallingRules
from ringfence.services.agents.web.deps import (
    AgentsDep,
    ContactsDep,
    MemberDep,
    NumbersDep,
    RecordsDep,
    TalksDep,
)
from ringfence.services.agents.web.words import say
from ringfence.tenants.models import Tenant

router = APIRouter(tags=["agents"])


class TenantIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)


class AgentIn(BaseModel):
    name: str = Field(min_length=1, max_length=80)
    greeting: str = Field(min_length=1, max_length=500)
    instructions: str = Field("", max_length=10_000)
    language: str = Field("en", max_length=8)
    voice: str = Field("default", max_length=40)
    phone_number: str | None = Field(
        None, max_length=20, description="The number callers dial to reach this agent (E.164)."
    )
    transfer_number: str | None = Field(
        None, max_length=20, description="Where 'a person, please' is put through (E.164)."
    )
    slots: str = Field("", max_length=5_000, description="Free booking slots, one per line.")


class OfferIn(BaseModel):
    sdp: str = Field(max_length=20_000, description="The browser's WebRTC offer (audio).")


class RetentionIn(BaseModel):
    days: int = Field(description="Days to keep call records and recordings.")
    reason: str = Field(max_length=300, description="The business's written request, cited.")


class SaidIn(BaseModel):
    text: str = Field(max_length=2_000, description="What a caller says, as text.")


@router.post("/api/tenants", status_code=201)
async def create_tenant(
    agents: AgentsDep, login: LoginDep, body: TenantIn, x_csrf_token: CsrfHeader = ""
) -> dict[str, str]:
    """Create a business; you are its owner."""
    tenant = await agents.tenants.create(check_csrf_header(login, x_csrf_token), body.name)
    return {"id": tenant.id, "name": tenant.name, "role": "owner"}


@router.get("/api/tenants")
async def my_tenants(agents: AgentsDep, login: LoginDep) -> dict[str, Any]:
    return {"tenants": await agents.tenants.mine(login.account)}


@router.get("/api/tenants/{tenant_id}/agents")
async def list_agents(agents: AgentsDep, who: MemberDep, tenant_id: str) -> dict[str, Any]:
    """The business's agents (a member, or an API key with agents:read)."""
    return {"agents": await agents.list(who, tenant_id)}


@router.post("/api/tenants/{tenant_id}/agents", status_code=201)
async def create_agent(
    agents: AgentsDep, who: MemberDep, tenant_id: str, body: AgentIn
) -> dict[str, Any]:
    return await agents.create(who, tenant_id, body.model_dump())


@router.get("/api/tenants/{tenant_id}/agents/{agent_id}")
async def get_agent(
    agents: AgentsDep, who: MemberDep, tenant_id: str, agent_id: str
) -> dict[str, Any]:
    return await agents.get(who, tenant_id, agent_id)


@router.put("/api/tenants/{tenant_id}/agents/{agent_id}")
async def update_agent(
    agents: AgentsDep, who: MemberDep, tenant_id: str, agent_id: str, body: AgentIn
) -> dict[str, Any]:
    return await agents.update(who, tenant_id, agent_id, body.model_dump())


@router.delete("/api/tenants/{tenant_id}/agents/{agent_id}")
async def delete_agent(
    agents: AgentsDep, who: MemberDep, tenant_id: str, agent_id: str
) -> dict[str, bool]:
    await agents.delete(who, tenant_id, agent_id)
    return {"deleted": True}


@router.post("/api/tenants/{tenant_id}/agents/{agent_id}/reply")
async def reply(
    agents: AgentsDep, login: LoginDep, tenant_id: str, agent_id: str, body: SaidIn
) -> dict[str, Any]:
    """Try the agent in text: what it would answer to what a caller says, as the first thing
    said on a call (the offline dialogue: rules, an intent classifier and its knowledge base);
    ``kind`` is one of answer, book,
    message, transfer, opt_out, end, off_topic, clarify, and ``does`` says it in words;
    ``matched`` is the knowledge entry answered from, ``person`` whom a message is for, ``score``
    how sure it is (0 to 1). A transfer is offered only when the agent has a transfer number.
    With a language model set (``RINGFENCE_AGENTS__LLM_URL``) the model answers, as on a call
    (without the business's tools), and ``by`` says who decided: ``model`` or ``offline`` (an
    opt-out, or a turn the model failed)."""
    turn = await agents.reply(login.account, tenant_id, agent_id, body.text)
    return {"kind": turn.kind, "does": say("turn", turn.kind), "reply": turn.reply,
            "score": round(turn.score, 3), "matched": turn.matched,
            "person": turn.person, "by": turn.by}  # fmt: skip


@router.get("/api/tenants/{tenant_id}/calls")
async def list_calls(
    records: RecordsDep,
    who: MemberDep,
    tenant_id: str,
    agent_id: str | None = None,
    outcome: str | None = None,
) -> dict[str, Any]:
    """The calls the business's agents handled, newest first (role with calls.read)."""
    calls = await records.list(who, tenant_id, agent_id=agent_id, outcome=outcome)
    return {"calls": calls}


@router.get("/api/tenants/{tenant_id}/calls/{call_id}")
async def get_call(records: RecordsDep, who: MemberDep, tenant_id: str, call_id: str) -> Any:
    """One call with its summary and its transcript (speaker turns with timestamps)."""
    return await records.get(who, tenant_id, call_id)


@router.get("/api/tenants/{tenant_id}/calls/{call_id}/recording")
async def get_recording(
    records: RecordsDep, login: LoginDep, tenant_id: str, call_id: str
) -> Response:
    """The call's recording as a stereo WAV (left: caller, right: agent); recordings.read."""
    wav = await records.recording(login.account, tenant_id, call_id)
    return Response(wav, media_type="audio/wav", headers={"Cache-Control": "no-store"})


@router.put("/api/tenants/{tenant_id}/retention")
async def set_retention(
    records: RecordsDep,
    login: LoginDep,
    tenant_id: str,
    body: RetentionIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, int]:
    """Keep the business's call records longer, as it asked in writing (owner only; audited)."""
    account = check_csrf_header(login, x_csrf_token)
    days = await records.set_retention(account, tenant_id, body.days, body.reason)
    return {"days": days}


@router.post("/api/tenants/{tenant_id}/agents/{agent_id}/talk", status_code=201)
async def talk(
    agents: AgentsDep,
    talks: TalksDep,
    db: DatabaseDep,
    settings: SettingsDep,
    login: LoginDep,
    tenant_id: str,
    agent_id: str,
    body: OfferIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, str]:
    """Talk to the agent from the browser: a WebRTC offer in, the answer out. The same voice
    pipeline as a phone call; nothing is recorded or stored."""
    account = check_csrf_header(login, x_csrf_token)
    agent = await agents.get(account, tenant_id, agent_id)  # role and business checked
    async with db.session() as session:
        tenant = await session.get(Tenant, tenant_id)
    if tenant is not None and tenant.halted:
        raise Conflict("this business is closed or suspended: its agents do not talk")
    conversation = (
        None if tenant is None else await conversation_for(db, settings, tenant, agent["id"])
    )
    if conversation is None:
        raise NotFound("no agent of this business has this id")
    owner = f"{tenant_id}/{agent['id']}/{account.id}"
    talk_id, answer = await talks.start(owner, conversation, body.sdp)
    return {"id": talk_id, "sdp": answer}


@router.get("/api/tenants/{tenant_id}/agents/{agent_id}/talk/{talk_id}")
async def talk_transcript(
    talks: TalksDep, login: LoginDep, tenant_id: str, agent_id: str, talk_id: str
) -> dict[str, Any]:
    """The conversation so far (speaker turns with times), while it lasts."""
    found = talks.get(f"{tenant_id}/{agent_id}/{login.account.id}", talk_id)
    return {"transcript": found.transcript(), "ended": found.ended}


@router.delete("/api/tenants/{tenant_id}/agents/{agent_id}/talk/{talk_id}")
async def talk_end(
    talks: TalksDep,
    login: LoginDep,
    tenant_id: str,
    agent_id: str,
    talk_id: str,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, Any]:
    account = check_csrf_header(login, x_csrf_token)
    owner = f"{tenant_id}/{agent_id}/{account.id}"
    return {"transcript": await talks.stop(owner, talk_id)}


class NumbersIn(BaseModel):
    numbers: list[str] = Field(max_length=10_000, description="E.164 numbers not to call.")


CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "The list as CSV with a header row; streamed, any size.",
    }
}


@router.post("/api/tenants/{tenant_id}/contact-lists", status_code=201, openapi_extra=CSV_BODY)
@upload
async def import_contacts(
    request: Request,
    contacts: ContactsDep,
    login: LoginDep,
    tenant_id: str,
    name: str = "contacts",
    phone_column: str = "phone",
    name_column: str | None = None,
    consent_column: str | None = None,
    consent_source_column: str | None = None,
    region: str | None = None,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, Any]:
    """Import a contact list from CSV (the body), mapping its columns by header name. Numbers
    become E.164 (national ones in ``region``), each rejected row is reported with its reason
    and the good rows are kept, a number already on the list counts as a duplicate."""
    account = check_csrf_header(login, x_csrf_token)
    columns = Columns(phone_column, name_column, consent_column, consent_source_column)
    report = await contacts.import_csv(account, tenant_id, name, columns, region, request.stream())
    return report.to_dict()


@router.get("/api/tenants/{tenant_id}/contact-lists")
async def contact_lists(contacts: ContactsDep, login: LoginDep, tenant_id: str) -> dict[str, Any]:
    return {"lists": await contacts.lists(login.account, tenant_id)}


@router.delete("/api/tenants/{tenant_id}/contact-lists/{list_id}")
async def delete_contact_list(
    contacts: ContactsDep,
    login: LoginDep,
    tenant_id: str,
    list_id: str,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, int]:
    account = check_csrf_header(login, x_csrf_token)
    return {"deleted": await contacts.delete(account, tenant_id, list_id)}


@router.get("/api/tenants/{tenant_id}/contact-lists/{list_id}/check")
async def check_contact_list(
    contacts: ContactsDep,
    numbers: NumbersDep,
    settings: SettingsDep,
    clock: ClockDep,
    login: LoginDep,
    tenant_id: str,
    list_id: str,
    caller_id: str | None = None,
    at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Which contacts the calling rules let the business call at ``at`` (now by default) from
    ``caller_id`` (one of the business's numbers verified by a call with a code), and why not
    the others."""
    await contacts.tenants.role(login.account, tenant_id, "agents.read")
    verified = caller_id is not None and caller_id in {n.id for n in await numbers.of(tenant_id)}
    agents = settings.agents
    rules = CallingRules(agents.calling_hours, agents.stricter_hours)
    if at is not None and at.tzinfo is None:
        raise InvalidInput("give the time with its offset: 2026-11-23T10:00:00+00:00")
    when = at or clock.now()
    report = await preflight(contacts, login.account, tenant_id, list_id, when, rules, verified)
    return report.to_dict()


@router.post("/api/tenants/{tenant_id}/do-not-call")
async def add_do_not_call(
    contacts: ContactsDep,
    login: LoginDep,
    tenant_id: str,
    body: NumbersIn,
    x_csrf_token: CsrfHeader = "",
) -> dict[str, int]:
    """Add numbers to the business's own do-not-call list (only keyed hashes are kept)."""
    account = check_csrf_header(login, x_csrf_token)
    added = await contacts.business_do_not_call(account, tenant_id, body.numbers)
    return {"added": added}
