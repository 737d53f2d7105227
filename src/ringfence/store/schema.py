"""Schema versions: run Alembic migrations and tell whether a database is up to date.

Alembic's commands are synchronous and our ``env.py`` drives the async engine with ``asyncio.run``,
so ``migrate`` must run outside an event loop (async callers use ``asyncio.to_thread``).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from ringfence import composition
from ringfence.errors import SchemaOutdated
from ringfence.settings import Settings
from ringfence.store.base import Base
from ringfence.store.database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# The core's modules that define tables; the installed services' come from their manifests.
CORE_MODEL_MODULES = (
    "ringfence.store.models",
    "ringfence.privacy.models",
    "ringfence.telephony.models",
    "ringfence.abuse.models",
    "ringfence.accounts.models",
    "ringfence.billing.models",
    "ringfence.tenants.models",
)


def target_metadata() -> MetaData:
    """Every table of the core and of every installed service (enabled or not: one migration
    history serves them all); importing their modules fills ``Base.metadata``."""
    for module in (*CORE_MODEL_MODULES, *composition.model_modules(composition.installed())):
        importlib.import_module(module)
    return Base.metadata


def alembic_config(url: str, settings: Settings | None = None) -> Config:
    """``settings``: the installation's, for migrations that convert stored data with its keys
    (0027 encrypts accounts' addresses); an empty database needs none."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = url
    config.attributes["settings"] = settings
    return config


def migrate(url: str, revision: str = "head", *, settings: Settings | None = None) -> None:
    """Upgrade to ``revision`` (default: the newest)."""
    command.upgrade(alembic_config(url, settings), revision)


def downgrade(url: str, revision: str, *, settings: Settings | None = None) -> None:
    command.downgrade(alembic_config(url, settings), revision)


def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)


async def require_current(db: Database) -> None:
    """Raise ``SchemaOutdated`` with the command to run when the database lags the code."""
    current, head = await current_revision(db), head_revision()
    if current != head:
        raise SchemaOutdated(
            f"database schema is at {current or 'nothing'}, this version needs {head}: "
            "run `ringfence migrate`"
        )
