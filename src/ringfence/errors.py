"""The root of every error ringfence raises on purpose.

::

    RingfenceError                 code, message, http_status
    +-- ConfigurationError         a setting is missing or wrong (start-up stops)
    +-- SchemaOutdated             the database is behind the code's migrations
    +-- BadRequest                 400: the request is malformed (not a value's fault)
    +-- NotFound                   404
    +-- InvalidInput               422: the caller sent values we cannot use
    +-- Forbidden                  403
    +-- Conflict                   409: the request does not fit the resource's state now
    +-- TooLarge                   413: the body is over its cap
    +-- RateLimited                429
    +-- ServiceUnavailable         503: a dependency (carrier, Redis) is not there

Only ``ringfence.web`` (and later the signalling edge) turns these into wire replies, as
``{"error": {"code", "message"}}``.
"""

from __future__ import annotations


class RingfenceError(Exception):
    """Base class: carries what an edge needs to answer without knowing the cause."""

    code = "error"
    http_status = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ConfigurationError(RingfenceError):
    code = "configuration"


class SchemaOutdated(RingfenceError):
    code = "schema_outdated"
    http_status = 503


class BadRequest(RingfenceError):
    code = "bad_request"
    http_status = 400


class NotFound(RingfenceError):
    code = "not_found"
    http_status = 404


class InvalidInput(RingfenceError):
    code = "invalid_input"
    http_status = 422


class Forbidden(RingfenceError):
    code = "forbidden"
    http_status = 403


class Conflict(RingfenceError):
    code = "conflict"
    http_status = 409


class TooLarge(RingfenceError):
    code = "too_large"
    http_status = 413


class RateLimited(RingfenceError):
    code = "rate_limited"
    http_status = 429


class ServiceUnavailable(RingfenceError):
    code = "unavailable"
    http_status = 503
