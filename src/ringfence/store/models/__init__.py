"""Every table of the core. Services keep their models in their own package and import Base."""

from ringfence.store.models.job_failure import JobFailure

__all__ = ["JobFailure"]
