"""What every command shares: settings that fail in one line, and error output."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from ringfence.errors import RingfenceError
from ringfence.logging import configure_logging
from ringfence.settings import Settings, load_settings

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"ringfence: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        settings = load_settings()
        settings.jobs_backend  # noqa: B018 - validates the redis/backend pairing now
    except RingfenceError as exc:
        fail(exc.message, 2)
    configure_logging(settings.log)
    return settings
