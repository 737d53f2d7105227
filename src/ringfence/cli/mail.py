"""``ringfence outbox``: the account e-mails a server without SMTP keeps for its operator."""

from __future__ import annotations

from typing import Annotated

import typer

from ringfence.cli.common import err_console, settings_or_exit


def outbox(
    limit: Annotated[
        int, typer.Option(min=1, max=1000, metavar="N", help="How many, newest first.")
    ] = 10,
    to: Annotated[
        str | None, typer.Option(metavar="ADDRESS", help="Only the mails to this address.")
    ] = None,
) -> None:
    """Print the e-mails waiting in the outbox, newest first, links included."""
    from ringfence.accounts.outbox import Outbox

    settings = settings_or_exit()
    mails = Outbox(settings.ensure_data_dir()).newest(limit, to=to)
    if settings.mail.resolved_backend == "smtp":
        err_console.print("mail goes out over SMTP; the outbox holds what was kept before")
    if not mails:
        err_console.print("the outbox is empty" + (f" for {to}" if to else ""))
        return
    for mail in mails:
        typer.echo(f"--- {mail.at:%Y-%m-%d %H:%M:%S} UTC · {mail.id}")
        typer.echo(f"To: {mail.to}")
        typer.echo(f"Subject: {mail.subject}\n")
        typer.echo(mail.body.rstrip("\n") + "\n")


def install(app: typer.Typer) -> None:
    app.command()(outbox)
