"""Background and periodic work through one queue API (huey: embedded SQLite or Redis)."""

from ringfence.jobs.context import JobContext
from ringfence.jobs.queue import JobQueue
from ringfence.jobs.registry import JobRegistry, JobSpec, crontab, registry

__all__ = ["JobContext", "JobQueue", "JobRegistry", "JobSpec", "crontab", "registry"]
