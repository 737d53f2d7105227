"""Services the routes share: one instance per app, made from ``app.state`` on first use (so an
app built for a test gets its own, and nothing is made for a service no request reaches)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request

T = TypeVar("T")


def shared(request: Request, name: str, make: Callable[[Any], T]) -> T:
    """``app.state.<name>``, made by ``make(app.state)`` the first time it is asked for."""
    state = request.app.state
    found: T | None = getattr(state, name, None)
    if found is None:
        found = make(state)
        setattr(state, name, found)
    return found
