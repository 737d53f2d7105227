"""The app's one instance of each service object, made on first use from ``app.state`` (so an
app built for a test gets its own, and nothing is made for a service no request reaches).
Instances are keyed by their type: a route asks for ``DialService`` and gets one back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from fastapi import FastAPI, Request

T = TypeVar("T")


def per_app(request: Request, kind: type[T], make: Callable[[Any], T]) -> T:
    """The app's ``kind``, made by ``make(app.state)`` the first time it is asked for."""
    return instance(request.app, kind, make)


def instance(app: FastAPI, kind: type[T], make: Callable[[Any], T] | None = None) -> T:
    """The app's ``kind`` (made by ``make`` when given and not made yet)."""
    made: dict[type[Any], Any] = app.state.instances
    found = made.get(kind)
    if found is None:
        if make is None:
            raise LookupError(f"this app has made no {kind.__name__}")
        found = made[kind] = make(app.state)
    return cast(T, found)
