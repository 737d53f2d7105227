"""Fakes shipped with the package, for ringfence's tests and for those who extend it."""

from ringfence.testing.clock import FakeClock

__all__ = ["FakeClock"]
