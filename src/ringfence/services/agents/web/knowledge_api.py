"""HTTP edge of an agent's knowledge base: add, change, delete and reorder entries, import
and export them as CSV, and what callers asked (``services.agents.knowledge``). A member
signed in or the business's API key (agents:read, agents:write; calls:read for insights)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from ringfence.http.bodies import upload
from ringfence.services.agents.knowledge import MAX_ANSWER, MAX_ENTRIES, MAX_QUESTION
from ringfence.services.agents.web.deps import KnowledgeDep, MemberDep

router = APIRouter(tags=["agents"])
BASE = "/api/tenants/{tenant_id}/agents/{agent_id}/knowledge"


class KnowledgeIn(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    answer: str = Field(min_length=1, max_length=MAX_ANSWER)


class OrderIn(BaseModel):
    order: list[str] = Field(max_length=MAX_ENTRIES, description="Every entry's id, in order.")


CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "A header row with question and answer, then one entry a row.",
    }
}


@router.get(BASE)
async def entries(
    knowledge: KnowledgeDep, who: MemberDep, tenant_id: str, agent_id: str
) -> dict[str, Any]:
    """The agent's entries in the business's order."""
    return {"entries": await knowledge.entries(who, tenant_id, agent_id)}


@router.post(BASE, status_code=201)
async def add_entry(
    knowledge: KnowledgeDep, who: MemberDep, tenant_id: str, agent_id: str, body: KnowledgeIn
) -> dict[str, str]:
    return {"id": await knowledge.add(who, tenant_id, agent_id, body.question, body.answer)}


@router.put(BASE + "/{entry_id}")
async def change_entry(
    knowledge: KnowledgeDep,
    who: MemberDep,
    tenant_id: str,
    agent_id: str,
    entry_id: str,
    body: KnowledgeIn,
) -> dict[str, Any]:
    return await knowledge.change(who, tenant_id, agent_id, entry_id, body.question, body.answer)


@router.delete(BASE + "/{entry_id}")
async def delete_entry(
    knowledge: KnowledgeDep, who: MemberDep, tenant_id: str, agent_id: str, entry_id: str
) -> dict[str, bool]:
    await knowledge.delete(who, tenant_id, agent_id, entry_id)
    return {"deleted": True}


@router.put(BASE + "-order")
async def reorder(
    knowledge: KnowledgeDep, who: MemberDep, tenant_id: str, agent_id: str, body: OrderIn
) -> dict[str, Any]:
    """Put the entries in a new order (every entry's id, once)."""
    return {"entries": await knowledge.reorder(who, tenant_id, agent_id, body.order)}


@router.post(BASE + ".csv", openapi_extra=CSV_BODY)
@upload
async def import_entries(
    request: Request, knowledge: KnowledgeDep, who: MemberDep, tenant_id: str, agent_id: str
) -> dict[str, int]:
    """Import entries from CSV: a question already there gets the file's answer, the others
    are added. A wrong row (an empty or too long cell, a question twice) is named by its line
    and nothing is imported."""
    data = await request.body()
    report = await knowledge.import_csv(who, tenant_id, agent_id, data)
    return report.to_dict()


@router.get(
    BASE + ".csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def export_entries(
    knowledge: KnowledgeDep, who: MemberDep, tenant_id: str, agent_id: str
) -> Response:
    text = await knowledge.export_csv(who, tenant_id, agent_id)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="knowledge.csv"'},
    )


@router.get("/api/tenants/{tenant_id}/agents/{agent_id}/insights")
async def insights(
    knowledge: KnowledgeDep, who: MemberDep, tenant_id: str, agent_id: str
) -> dict[str, Any]:
    """Which entries callers hit and what they asked that went unanswered, from the transcripts
    of the agent's calls still kept (calls.read)."""
    return await knowledge.insights(who, tenant_id, agent_id)
