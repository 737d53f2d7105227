"""What a running job may use: settings, its own database handle, the clock."""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.clock import Clock
from ringfence.settings import Settings
from ringfence.store.database import Database


@dataclass
class JobContext:
    settings: Settings
    db: Database
    clock: Clock
