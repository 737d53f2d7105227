"""An agent's definition and its knowledge base, owned by a tenant (a business)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ringfence.privacy.inventory import NOT_PERSONAL
from ringfence.store.base import Base, new_id
from ringfence.tenants.models import TenantScoped

TENANT_TABLES = ("agents", "agent_knowledge")


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
    created_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)
    updated_at: Mapped[dt.datetime] = mapped_column(info=NOT_PERSONAL)


class KnowledgeEntry(TenantScoped, Base):
    """A question and its answer the agent may give (an FAQ entry)."""

    __tablename__ = "agent_knowledge"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id, info=NOT_PERSONAL)
    agent_id: Mapped[str] = mapped_column(String(32), index=True, info=NOT_PERSONAL)
    question: Mapped[str] = mapped_column(String(500), info=NOT_PERSONAL)
    answer: Mapped[str] = mapped_column(Text, info=NOT_PERSONAL)
