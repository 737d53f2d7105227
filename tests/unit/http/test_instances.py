"""The app's one instance of each service object, keyed by its type."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from ringfence.http.instances import instance


class Service:
    def __init__(self, name: str) -> None:
        self.name = name


def _app(name: str) -> FastAPI:
    app = FastAPI()
    app.state.instances = {}
    app.state.name = name
    return app


def test_made_once_per_app_on_first_use() -> None:
    app, made = _app("one"), []

    def make(state: object) -> Service:
        made.append(state)
        return Service(app.state.name)

    first = instance(app, Service, make)
    assert instance(app, Service, make) is first and len(made) == 1
    assert instance(app, Service) is first
    assert instance(_app("two"), Service, lambda s: Service(s.name)).name == "two"


def test_asking_for_one_never_made_says_so() -> None:
    with pytest.raises(LookupError, match="made no Service"):
        instance(_app("one"), Service)
