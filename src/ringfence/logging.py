"""Structured logs, redacted by default.

Every record (ringfence's own through structlog, and third-party ones through the standard library,
such as uvicorn's and huey's) passes the redaction processor, which masks secrets (tokens, session
ids, codes: by the parameter or field name they carry) and phone numbers in every string value.
The access log's request lines lose their query strings (a verification link's token travels in
one) and the client's address is truncated to its network; ``ringfence serve`` writes them to their
own file, rotated daily and by size. Other records are JSON lines on stderr unless
``RINGFENCE_LOG__FORMAT=console``; a log file is the operator's only (0600).
"""

from __future__ import annotations

import ipaddress
import logging
import logging.handlers
import os
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path
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


def client_host(address: str) -> str:
    """The address of ``ip``, ``ip:port`` or ``[v6]:port``, without the port."""
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    if address.count(":") == 1:
        return address.split(":", 1)[0]
    return address


def truncate_ip(address: str) -> str:
    """A client address (``ip``, ``ip:port`` or ``[v6]:port``) cut to its network: IPv4 to its
    /24, IPv6 to its /48, the port dropped. Enough to see a network's abuse, not who it was."""
    try:
        ip = ipaddress.ip_address(client_host(address))
    except ValueError:
        return "-"  # not an address (a Unix socket's peer): nothing worth keeping
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


class AccessLines(logging.Filter):
    """uvicorn's access lines (``%s - "%s %s HTTP/%s" %d``) without the query string (links carry
    tokens there, and nothing in a query is worth a log) and, unless the operator opted into raw
    addresses, with the client's address truncated (``truncate_ip``)."""

    def __init__(self, client_ip: str = "truncated") -> None:
        super().__init__()
        self.client_ip = client_ip

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            client = str(args[0])
            if self.client_ip != "raw":
                client = truncate_ip(client)
            path = args[2].split("?", 1)[0]
            record.args = (client, args[1], path, args[3], args[4])
        return True


class PrivateFileHandler(logging.handlers.TimedRotatingFileHandler):
    """A log file rotated daily and whenever it reaches ``max_bytes``, each file readable by the
    operator's user only (0600), whatever the umask; ``keep`` rotated files are kept."""

    def __init__(self, path: Path, *, keep: int, max_bytes: int = 0) -> None:
        super().__init__(path, when="midnight", backupCount=keep, utc=True, delay=True)
        self.max_bytes = max_bytes

    def _open(self) -> Any:
        # Opened at the first line (delay): a command that logs nothing creates no folder.
        Path(self.baseFilename).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)
        return stream

    def shouldRollover(self, record: logging.LogRecord) -> bool:  # noqa: N802 - logging's name
        if super().shouldRollover(record):
            return True
        if not self.max_bytes or not os.path.exists(self.baseFilename):
            return False
        return os.path.getsize(self.baseFilename) >= self.max_bytes

    def rotation_filename(self, default_name: str) -> str:
        # A second rotation on one day (by size) must not overwrite the first day's file.
        name, n = default_name, 0
        while os.path.exists(name):
            n += 1
            name = f"{default_name}.{n}"
        return name


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


def configure_logging(settings: LogSettings, *, access_file: Path | None = None) -> None:
    """Logs to standard error (or ``settings.file``); the web's access lines to ``access_file``
    when given (``ringfence serve``: ``Settings.access_log_path``), each rotated and private."""
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
        handler = PrivateFileHandler(
            settings.file, keep=settings.keep_days, max_bytes=settings.max_bytes
        )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    _replace_ours(root, handler)
    root.setLevel(settings.level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "huey"):
        lib = logging.getLogger(name)
        _replace_ours(lib, None)
        lib.handlers.clear()
        lib.propagate = True
        lib.setLevel(logging.NOTSET)  # the level is ours (uvicorn's own config may have set one)
    access = logging.getLogger("uvicorn.access")
    for old_filter in [f for f in access.filters if isinstance(f, AccessLines)]:
        access.removeFilter(old_filter)
    access.addFilter(AccessLines(settings.client_ip))
    if access_file is not None:
        # The access_log category of the inventory: its own file, its own rotation.
        access_handler = PrivateFileHandler(
            access_file, keep=settings.keep_days, max_bytes=settings.max_bytes
        )
        access_handler.setFormatter(formatter)
        _replace_ours(access, access_handler)
        access.propagate = False
    # Alembic narrates every step at INFO; its outcome is reported by `ringfence migrate`.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Database drivers log every statement with its parameters (e-mail addresses, password
    # hashes, CSRF tokens) at DEBUG or INFO: never below WARNING, whatever the level.
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def _replace_ours(logger: logging.Logger, handler: logging.Handler | None) -> None:
    """Remove the handler an earlier configuration added to ``logger`` and add ``handler``."""
    for old in list(logger.handlers):
        if getattr(old, "_ringfence", False):
            logger.removeHandler(old)
            old.close()
    if handler is not None:
        handler._ringfence = True  # type: ignore[attr-defined]
        logger.addHandler(handler)


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
