"""An agent's definition and its knowledge base, owned by a tenant (a business)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.privacy.inventory import NOT_PERSONAL, personal
from ringfence.store.base import Base, new_id
from ringfence.tenants.models import TenantScoped

TENANT_TABLES = ("agents", "agent_knowledge", "agent_calls", "agent_recordings")
CALLS = "agent_call"
RECORDINGS = "agent_call_recording"


class Agent(TenantScoped, Base):
    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    name: Mapped[str] = mapped_column(String(80), info=NOT_PERSONAL)
    greeting: Mapped[str] = mapped_column(String(500), info=NOT_PERSONAL)
    instructions: Mapped[str] = mapped_column(Text, default="", info=NOT_PERSONAL)
    language: Mapped[str] = mapped_column(String(8), default="en", info=NOT_PERSONAL)
    voice: Mapped[str] = mapped_column(String(40), default="default", info=NOT_PERSONAL)
    # Spoken first on every call: callers are told they talk to an automated assistant.
    disclosure: Mapped[str] = mapped_column(String(300), info=NOT_PERSONAL)
    # The business's numbers: the one callers dial, the one "a person" is, free booking slots.
    phone_number: Mapped[str | None] = mapped_column(String(20), info=NOT_PERSONAL)
    transfer_number: Mapped[str | None] = mapped_column(String(20), info=NOT_PERSONAL)
    slots: Mapped[str] = mapped_column(Text, default="", info=NOT_PERSONAL)  # one per line
    created_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    updated_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)


class KnowledgeEntry(TenantScoped, Base):
    """A question and its answer the agent may give (an FAQ entry)."""

    __tablename__ = "agent_knowledge"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    agent_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    question: Mapped[str] = mapped_column(String(500), info=NOT_PERSONAL)
    answer: Mapped[str] = mapped_column(Text, info=NOT_PERSONAL)


class AgentNumber(Base):
    """Which business and agent answer a dialled number. Not tenant-scoped on purpose: an
    incoming call is routed before anyone knows whose it is; it holds no data of anybody."""

    __tablename__ = "agent_numbers"

    number: Mapped[str] = mapped_column(String(20), primary_key=True, info=NOT_PERSONAL)
    tenant_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    agent_id: Mapped[str] = mapped_column(String(32), unique=True, info=NOT_PERSONAL)


class AgentCall(TenantScoped, Base):
    """A call an agent handled: transcript and summary, encrypted with the caller's key."""

    __tablename__ = "agent_calls"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, info=NOT_PERSONAL)
    agent_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    direction: Mapped[str] = mapped_column(String(10), info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(80), index=True, info=personal(CALLS))
    caller_masked: Mapped[str] = mapped_column(String(24), info=personal(CALLS))
    started_at: Mapped[dt.datetime] = mapped_column(index=True, info=personal(CALLS))
    ended_at: Mapped[dt.datetime | None] = mapped_column(info=personal(CALLS))
    duration: Mapped[float] = mapped_column(Float, default=0.0, info=personal(CALLS))
    outcome: Mapped[str] = mapped_column(String(20), index=True, info=personal(CALLS))
    booked_slot: Mapped[str | None] = mapped_column(String(80), info=personal(CALLS))
    summary: Mapped[bytes] = mapped_column(LargeBinary, info=personal(CALLS))
    transcript: Mapped[bytes] = mapped_column(LargeBinary, info=personal(CALLS))
    keep_until: Mapped[dt.datetime] = mapped_column(index=True, info=personal(CALLS))


class AgentRecording(TenantScoped, Base):
    """Both sides of an agent call as a stereo WAV, encrypted with the caller's key."""

    __tablename__ = "agent_recordings"

    call_id: Mapped[str] = mapped_column(String(32), primary_key=True, info=NOT_PERSONAL)
    subject_ref: Mapped[str] = mapped_column(String(80), index=True, info=personal(RECORDINGS))
    audio: Mapped[bytes] = mapped_column(LargeBinary, info=personal(RECORDINGS))
    seconds: Mapped[float] = mapped_column(Float, info=personal(RECORDINGS))
    keep_until: Mapped[dt.datetime] = mapped_column(index=True, info=personal(RECORDINGS))
