"""The OpenAPI document says how every operation can fail: each error leaves as
``{"error": {"code", "message"}}`` (``web/errors.py``), so every operation documents that
body for the statuses any request may meet at the edge and in the core (a refused CSRF token or
login, an unknown id, a conflict, a body too large, invalid input, a limit reached, something
not set up on this server), in place of FastAPI's default validation-error schema."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}
ERRORS = {
    "400": "The request is malformed.",
    "401": "The API key (Authorization: Bearer) is unknown or was revoked.",
    "403": "Not allowed: sign in, send the CSRF token, or this is not yours.",
    "404": "No such thing, or not one of yours.",
    "409": "It does not fit the current state.",
    "413": "The body is too large.",
    "422": "A value cannot be used; the message says which and why.",
    "429": "A limit is reached; the message says when to try again.",
    "503": "Not set up on this server, or a dependency is down.",
}


def install_openapi(app: FastAPI) -> None:
    def schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title, version=app.version, routes=app.routes, description=app.description
            )
            components = document.setdefault("components", {}).setdefault("schemas", {})
            components["Error"] = ERROR_SCHEMA
            components.pop("HTTPValidationError", None)
            components.pop("ValidationError", None)
            error = {
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            }
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    responses = operation.setdefault("responses", {})
                    for status, description in ERRORS.items():
                        responses[status] = {"description": description, **error}
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = schema  # type: ignore[method-assign]
