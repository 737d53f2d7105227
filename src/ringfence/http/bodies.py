"""Which routes take an upload: their body may be larger than a form's, up to
``RINGFENCE_WEB__MAX_UPLOAD_BYTES``, still counted as it streams (``web/body_limit``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

UPLOAD_MARK = "__ringfence_upload__"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def upload(endpoint: Endpoint) -> Endpoint:
    """Mark a route's function as taking an upload (put it under the ``@router`` decorator)."""
    setattr(endpoint, UPLOAD_MARK, True)
    return endpoint


def takes_upload(endpoint: object) -> bool:
    return getattr(endpoint, UPLOAD_MARK, False) is True
