"""Persistence: SQLAlchemy models, sessions and Alembic migrations."""

from ringfence.store.base import Base, UTCDateTime, new_id
from ringfence.store.database import Database
from ringfence.store.schema import current_revision, head_revision, migrate, require_current

__all__ = [
    "Base",
    "Database",
    "UTCDateTime",
    "current_revision",
    "head_revision",
    "migrate",
    "new_id",
    "require_current",
]
