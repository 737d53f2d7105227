"""Structured logs, redacted by default.

Every record (ringfence's own through structlog, and third-party ones through the standard library,
such as uvicorn's and huey's) passes the redaction processor, which masks secrets (tokens, session
ids, codes: by the parameter or field name they carry) and phone numbers in every string value.
The access log's request lines lose their query strings (a verification link's token travels in
one). Records are JSON lines on stderr unless ``RINGFENCE_LOG__FORMAT=console``; a log file is
the operator's only (0600).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from ringfence.redact import SECRET_MASK, Redacted, is_secret_name, mask_text
from ringfence.settings import LogSettings


def _redact_value(value: Any) -> Any:
    if isinstance(value, Redacted):
        return str(value)
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: _redact_field(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return mask_text(str(value))


def _redact_field(name: str, value: Any) -> Any:
    if is_secret_name(name) and value not in (None, ""):
        return SECRET_MASK
    return _redact_value(value)


def redact_event(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask personal data in every value of the event."""
    for key, value in list(event_dict.items()):
        if key in ("timestamp", "level", "logger"):
            continue
        event_dict[key] = _redact_field(key, value)
    return event_dict


QUIET_LIBRARIES = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool", "asyncpg")


class DropQueryStrings(logging.Filter):
    """uvicorn's access lines (``%s - "%s %s HTTP/%s" %d``) without the query string: links
    carry tokens there (``/account/verify?token=...``), and nothing in a query is worth a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path = args[2].split("?", 1)[0]
            record.args = (args[0], args[1], path, args[3], args[4])
        return True


class PrivateFileHandler(logging.handlers.TimedRotatingFileHandler):
    """A log file a day, each readable by the operator's user only (0600), whatever the umask."""

    def _open(self) -> Any:
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)
        return stream


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.format_exc_info,
        redact_event,
    ]


def configure_logging(settings: LogSettings) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler: logging.Handler = logging.StreamHandler(sys.stderr)
    if settings.file is not None:
        # One file a day, seven kept: logs (which never hold content) are gone after a week.
        settings.file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = PrivateFileHandler(
            settings.file, when="midnight", backupCount=settings.keep_days, utc=True
        )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_ringfence", False):
            root.removeHandler(old)
            old.close()
    handler._ringfence = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "huey"):
        lib = logging.getLogger(name)
        lib.handlers.clear()
        lib.propagate = True
        lib.setLevel(logging.NOTSET)  # the level is ours (uvicorn's own config may have set one)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, DropQueryStrings) for f in access.filters):
        access.addFilter(DropQueryStrings())
    # Alembic narrates every step at INFO; its outcome is reported by `ringfence migrate`.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Database drivers log every statement with its parameters (e-mail addresses, password
    # hashes, CSRF tokens) at DEBUG or INFO: never below WARNING, whatever the level.
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
