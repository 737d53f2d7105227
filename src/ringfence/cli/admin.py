"""``ringfence admin create | grant | revoke``: the operator accounts that may open the console
(``/admin``). Run on the server, these need no web access: the way to make the first operator
of an installation that is already reachable from the internet. The store is imported when a
command runs, not when the command line is built."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from ringfence.cli.common import console, fail, settings_or_exit
from ringfence.errors import RingfenceError

if TYPE_CHECKING:
    from ringfence.accounts.operators import Operators

T = TypeVar("T")
admin_app = typer.Typer(help="Operator accounts: who may open the console (/admin).")
Email = Annotated[str, typer.Argument(help="The account's e-mail address.")]


def _with_operators(work: Callable[[Operators], Awaitable[T]]) -> T:
    from ringfence.accounts.service import Accounts
    from ringfence.privacy.core import Privacy
    from ringfence.store import Database, require_current

    settings = settings_or_exit()

    async def run() -> T:
        db = Database(settings.resolved_database_url)
        try:
            await require_current(db)
            return await work(Accounts(settings, Privacy(settings, db)).operators())
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except RingfenceError as exc:
        fail(exc.message)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(
        typer.prompt("Password (12 characters or more)", hide_input=True, confirmation_prompt=True)
    )


@admin_app.command("create")
def create(
    email: Email,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
    ] = False,
) -> None:
    """Make an operator: a new account, or promote the address's existing one.

    An existing account's password is replaced and its sessions end."""
    from ringfence.accounts.operators import check_password

    password = _password(password_stdin)
    try:
        check_password(password)
    except RingfenceError as exc:
        fail(exc.message)
    from ringfence.accounts.addresses import normalise_email

    made = _with_operators(lambda ops: ops.create(email, password, via="cli"))
    settings = settings_or_exit()
    what = "created" if made.created else "made an operator"
    console.print(
        f"{normalise_email(email)}: {what}; log in at {settings.web.public_url.rstrip('/')}/admin"
    )


@admin_app.command("grant")
def grant(email: Email) -> None:
    """Make an existing, confirmed account an operator."""
    from ringfence.accounts.addresses import normalise_email

    _with_operators(lambda ops: ops.grant(email, via="cli"))
    console.print(f"{normalise_email(email)} is an operator")


@admin_app.command("revoke")
def revoke(email: Email) -> None:
    """Make an operator an ordinary account again (never the last one)."""
    from ringfence.accounts.addresses import normalise_email

    _with_operators(lambda ops: ops.revoke(email, via="cli"))
    console.print(f"{normalise_email(email)} is no longer an operator")


def install(app: typer.Typer) -> None:
    app.add_typer(admin_app, name="admin", no_args_is_help=True)
