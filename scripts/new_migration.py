"""Write a new Alembic revision from the difference between the models and a scratch database.

Usage: .venv/bin/python scripts/new_migration.py "what changed"
"""

import sys
import tempfile
from pathlib import Path

from alembic import command

from ringfence.store.schema import alembic_config, head_revision, migrate


def main() -> None:
    message = sys.argv[1]
    head = head_revision()
    next_id = f"{int(head or '0') + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.db'}"
        migrate(url)
        command.revision(alembic_config(url), message=message, autogenerate=True, rev_id=next_id)


if __name__ == "__main__":
    main()
