"""What every command shares: settings that fail in one line, and error output."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import typer
from rich.console import Console

from ringfence.errors import RingfenceError

if TYPE_CHECKING:
    from ringfence.settings import Settings

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"ringfence: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    """The settings, or exit with one line naming what is wrong; logs go to standard error
    (or the log file) from here on, never among a command's output."""
    from ringfence.logging import configure_logging
    from ringfence.settings import load_settings

    try:
        settings = load_settings()
        settings.jobs_backend  # noqa: B018 - validates the redis/backend pairing now
    except RingfenceError as exc:
        fail(exc.message, 2)
    configure_logging(settings.log, access_file=settings.access_log_path)
    return settings


def run(work: Coroutine[Any, Any, T]) -> T:
    """Run a command's async work (asyncio is imported when a command needs it)."""
    import asyncio

    return asyncio.run(work)
