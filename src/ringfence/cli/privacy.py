"""Privacy commands: ``purge``, ``policy``, ``keys rotate``, ``rights list``.

The privacy core and the store are imported when a command runs, not when the command line is
built: ``ringfence --help`` and ``ringfence version`` stay quick."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from ringfence.cli.common import console, fail, run, settings_or_exit
from ringfence.errors import RingfenceError

if TYPE_CHECKING:
    from ringfence.privacy.core import Privacy

T = TypeVar("T")
keys_app = typer.Typer(help="Encryption keys at rest.", no_args_is_help=True)
rights_app = typer.Typer(help="Rights requests and their deadlines.", no_args_is_help=True)


def with_privacy(work: Callable[[Privacy], Awaitable[T]]) -> T:
    from ringfence.privacy.core import Privacy
    from ringfence.store import Database

    settings = settings_or_exit()

    async def work_on_db() -> T:
        db = Database(settings.resolved_database_url)
        try:
            return await work(Privacy(settings, db))
        finally:
            await db.dispose()

    try:
        return run(work_on_db())
    except (RingfenceError, KeyError) as exc:
        fail(exc.message if isinstance(exc, RingfenceError) else str(exc))


def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what has expired, change nothing.")
    ] = False,
) -> None:
    """Apply every retention rule of the data inventory now."""

    async def work(privacy: Privacy) -> dict[str, int]:
        with console.status("Sweeping expired personal data…"):
            report = await privacy.sweeper().sweep(dry_run=dry_run)
        return report.counts

    counts = with_privacy(work)
    from rich.table import Table

    table = Table("category", "expired" if dry_run else "removed")
    for name, count in counts.items():
        table.add_row(name, str(count))
    console.print(table)
    verb = "would remove" if dry_run else "removed"
    console.print(f"{verb} {sum(counts.values())} records")


def policy(
    service: Annotated[str | None, typer.Option(help="Only this service's policy.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable.")] = False,
) -> None:
    """Print the privacy policy generated from the data inventory."""
    from ringfence import composition
    from ringfence.privacy import policy as policy_doc

    async def work(privacy: Privacy) -> dict[str, object]:
        async with privacy.db.session() as session:
            stamp = await policy_doc.current_stamp(session, privacy.inventory, privacy.clock)
        hidden = composition.disabled(privacy.settings)
        return policy_doc.document(
            privacy.inventory, privacy.settings.privacy, stamp, service=service, hidden=hidden
        )

    doc = with_privacy(work)
    typer.echo(json.dumps(doc, indent=2) if as_json else policy_doc.render_text(doc))


@keys_app.command("rotate")
def rotate() -> None:
    """Add a master key version and re-wrap every data key (the data is not re-encrypted)."""

    async def work(privacy: Privacy) -> int:
        async with privacy.db.session() as session:
            count = await privacy.vault.rotate(session)
            privacy.audit.record(
                session, actor_kind="operator", actor_id="cli", action="keys.rotated", keys=count
            )
            return count

    count = with_privacy(work)
    console.print(f"re-wrapped {count} data keys with a new master key")


@rights_app.command("list")
def rights_list() -> None:
    """Open requests, with the dates by which they must be acknowledged and answered."""

    from ringfence.privacy import policy as policy_doc

    async def work(privacy: Privacy) -> list[tuple[str, ...]]:
        async with privacy.db.session() as session:
            stamp = await policy_doc.current_stamp(session, privacy.inventory, privacy.clock)
            rows = await privacy.rights(stamp.version).open_requests(session)
            return [
                (
                    r.id,
                    r.kind,
                    r.status,
                    r.acknowledge_by.date().isoformat(),
                    r.answer_by.date().isoformat(),
                    "yes" if r.extended else "",
                )
                for r in rows
            ]

    from rich.table import Table

    table = Table("id", "kind", "status", "acknowledge by", "answer by", "extended")
    for row in with_privacy(work):
        table.add_row(*row)
    console.print(table)


@rights_app.command("extend")
def rights_extend(
    request_id: Annotated[str, typer.Argument(help="Id from `rights list`.")],
    reason: Annotated[str, typer.Option(help="Why more time is needed (told to the subject).")],
) -> None:
    """Extend a request's deadline, once, with the reason the subject is given."""

    from ringfence.privacy import policy as policy_doc

    async def work(privacy: Privacy) -> str:
        async with privacy.db.session() as session:
            stamp = await policy_doc.current_stamp(session, privacy.inventory, privacy.clock)
            request = await privacy.rights(stamp.version).extend(session, request_id, reason)
            return request.answer_by.date().isoformat()

    console.print(f"request {request_id} now due by {with_privacy(work)}")


def install(app: typer.Typer) -> None:
    app.command()(purge)
    app.command()(policy)
    app.add_typer(keys_app, name="keys")
    app.add_typer(rights_app, name="rights")
