"""``ringfence breach record | notified | list``: the register of personal-data breaches
(``privacy.breaches``), kept from the server's shell like the rest of the operator's duties."""

from __future__ import annotations

import datetime as dt
import getpass
from typing import TYPE_CHECKING, Annotated

import typer

from ringfence.cli.common import console, fail
from ringfence.cli.privacy import with_privacy

if TYPE_CHECKING:
    from ringfence.privacy.core import Privacy

breach_app = typer.Typer(help="The register of personal-data breaches.", no_args_is_help=True)


def _moment(text: str | None, option: str) -> dt.datetime | None:
    """An ISO date or date and time (UTC unless it names its offset)."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option}: {text!r} is not a date like 2026-12-01 or 2026-12-01T09:30")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _operator() -> str:
    return f"cli:{getpass.getuser()}"


@breach_app.command("record")
def record(
    what: Annotated[str, typer.Option(help="What happened, its likely effects, what was done.")],
    found: Annotated[str, typer.Option(help="When it was found (ISO date or date and time).")],
    categories: Annotated[
        str, typer.Option(help="Categories of the inventory it touched, comma-separated.")
    ],
    affected: Annotated[int, typer.Option(help="How many people it touched (an estimate).")],
    authority_notified: Annotated[
        str | None, typer.Option(help="When the supervisory authority was told, if it was.")
    ] = None,
    subjects_notified: Annotated[
        str | None, typer.Option(help="When the people affected were told, if they were.")
    ] = None,
) -> None:
    """Record a breach of personal data (GDPR art. 33(5)), notified or not."""
    found_at = _moment(found, "--found")
    assert found_at is not None
    names = [name.strip() for name in categories.split(",") if name.strip()]

    async def work(privacy: Privacy) -> tuple[str, dt.datetime]:
        from ringfence.privacy.breaches import Breaches, authority_due

        async with privacy.db.session() as session:
            breach = await Breaches(privacy.inventory, privacy.clock).record(
                session,
                what=what,
                found_at=found_at,
                categories=names,
                subjects_affected=affected,
                recorded_by=_operator(),
                authority_notified_at=_moment(authority_notified, "--authority-notified"),
                subjects_notified_at=_moment(subjects_notified, "--subjects-notified"),
            )
            return breach.id, authority_due(breach)

    breach_id, due = with_privacy(work)
    console.print(f"recorded breach {breach_id}")
    if not authority_notified:
        console.print(
            f"tell the supervisory authority by {due:%Y-%m-%d %H:%M} UTC (unless the breach is "
            f"unlikely to harm anyone), then: ringfence breach notified {breach_id} "
            "--authority <when>",
            markup=False,
        )


@breach_app.command("notified")
def notified(
    breach_id: Annotated[str, typer.Argument(help="Id from `ringfence breach list`.")],
    authority: Annotated[
        str | None, typer.Option(help="When the supervisory authority was told.")
    ] = None,
    subjects: Annotated[
        str | None, typer.Option(help="When the people affected were told.")
    ] = None,
) -> None:
    """Mark when the authority and/or the people affected were told of a breach."""

    async def work(privacy: Privacy) -> str:
        from ringfence.privacy.breaches import Breaches

        async with privacy.db.session() as session:
            breach = await Breaches(privacy.inventory, privacy.clock).notified(
                session,
                breach_id,
                by=_operator(),
                authority=_moment(authority, "--authority"),
                subjects=_moment(subjects, "--subjects"),
            )
            return breach.id

    console.print(f"breach {with_privacy(work)} updated")


@breach_app.command("list")
def list_breaches() -> None:
    """Every recorded breach, latest found first, with who was told and when."""

    async def work(privacy: Privacy) -> list[tuple[str, ...]]:
        from ringfence.privacy.breaches import Breaches

        def day(moment: dt.datetime | None) -> str:
            return f"{moment:%Y-%m-%d %H:%M}" if moment else "not told"

        async with privacy.db.session() as session:
            return [
                (
                    b.id,
                    day(b.found_at),
                    ", ".join(b.categories),
                    str(b.subjects_affected),
                    day(b.authority_notified_at),
                    day(b.subjects_notified_at),
                    b.what,
                )
                for b in await Breaches(privacy.inventory, privacy.clock).all(session)
            ]

    from rich.table import Table

    table = Table("id", "found", "categories", "people", "authority", "people told", "what")
    for row in with_privacy(work):
        table.add_row(*row)
    console.print(table)


def install(app: typer.Typer) -> None:
    app.add_typer(breach_app, name="breach")
