"""``ringfence``: serve, worker, migrate, jobs, version, and each enabled service's commands.

Building the command line imports no service, no settings and no store: each command imports
what it needs when it runs (``bench/cli_start.py`` measures the start-up)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from ringfence.cli import admin as admin_cli
from ringfence.cli import breach as breach_cli
from ringfence.cli import mail as mail_cli
from ringfence.cli import privacy as privacy_cli
from ringfence.cli import telephony as telephony_cli
from ringfence.cli.commands import Commands
from ringfence.cli.common import console, fail, run, settings_or_exit
from ringfence.errors import RingfenceError

app = typer.Typer(
    name="ringfence",
    help="Self-hostable, privacy-first voice-calling platform.",
    no_args_is_help=True,
    add_completion=False,
    cls=Commands,
)
jobs_app = typer.Typer(help="Inspect and re-run background jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
privacy_cli.install(app)
breach_cli.install(app)
admin_cli.install(app)
telephony_cli.install(app)
mail_cli.install(app)


@app.command()
def version() -> None:
    """Print the version."""
    from ringfence import __version__

    console.print(f"ringfence {__version__}")


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
    down: Annotated[
        bool, typer.Option("--down", help="Downgrade to --revision instead of upgrading.")
    ] = False,
) -> None:
    """Bring the database schema up to date (or down to a revision)."""
    from ringfence.store.schema import downgrade as run_downgrade
    from ringfence.store.schema import head_revision
    from ringfence.store.schema import migrate as run_migrations

    settings = settings_or_exit()
    settings.ensure_data_dir()
    url = settings.resolved_database_url
    with console.status(f"{'Downgrading' if down else 'Migrating'} the database…"):
        try:
            if down:
                run_downgrade(url, revision, settings=settings)
            else:
                run_migrations(url, revision, settings=settings)
        except Exception as exc:  # a database that cannot be reached or a bad revision
            fail(f"migration failed: {type(exc).__name__}: {exc}")
    console.print(f"database schema at {'revision ' + revision if down else head_revision()}")


async def _schema_check(url: str) -> None:
    from ringfence.store import Database, require_current

    db = Database(url)
    try:
        await require_current(db)
    finally:
        await db.dispose()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
) -> None:
    """Run the web app (and, in the embedded default, the job workers)."""
    from ringfence.web.app import create_app

    settings = settings_or_exit()
    settings.ensure_data_dir()
    try:
        run(_schema_check(settings.resolved_database_url))
    except RingfenceError as exc:
        fail(exc.message)
    except Exception as exc:
        fail(f"cannot reach the database: {type(exc).__name__}: {exc}")
    from ringfence import __version__

    bind_host = host or settings.web.host
    bind_port = port or settings.web.port
    console.print(f"ringfence {__version__} on http://{bind_host}:{bind_port}")
    proxies = settings.web.trusted_proxies
    import uvicorn

    uvicorn.run(
        create_app(settings, check_schema=False),
        host=bind_host,
        port=bind_port,
        log_config=None,
        # One source of truth for who the client is: uvicorn rewrites the connection's client
        # (which its access log shows) only for the proxies the app trusts; with none, never
        # (uvicorn would otherwise trust X-Forwarded-For from 127.0.0.1 by default).
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(proxies) if proxies else "",
    )


@app.command()
def worker(
    workers: Annotated[int | None, typer.Option(help="Worker threads.")] = None,
    imports: Annotated[
        list[str] | None,
        typer.Option("--import", help="Extra module declaring jobs (repeatable)."),
    ] = None,
) -> None:
    """Run job workers in this process until interrupted (for a Redis-backed queue)."""
    from ringfence.jobs import JobQueue

    settings = settings_or_exit()
    settings.ensure_data_dir()
    try:
        run(_schema_check(settings.resolved_database_url))
    except RingfenceError as exc:
        fail(exc.message)
    queue = JobQueue(settings, modules=imports or ())
    console.print(f"worker on the {queue.backend} queue {settings.jobs.queue_name!r}")
    queue.run_forever(workers=workers)


@jobs_app.command("failed")
def jobs_failed(
    limit: Annotated[int, typer.Option(help="How many to show, newest first.")] = 50,
) -> None:
    """List jobs whose retries ran out."""
    from rich.table import Table

    from ringfence.jobs import JobQueue
    from ringfence.store import Database

    settings = settings_or_exit()

    async def load() -> list[tuple[str, ...]]:
        db = Database(settings.resolved_database_url)
        try:
            rows = await JobQueue(settings).failures(db, limit=limit)
        finally:
            await db.dispose()
        return [
            (
                r.id,
                r.job_name,
                str(r.attempts),
                f"{r.error_type}: {r.error_message[:60]}",
                r.failed_at.isoformat(timespec="seconds"),
                "yes" if r.retried_at else "",
            )
            for r in rows
        ]

    table = Table("id", "job", "attempts", "error", "failed at", "retried")
    for row in run(load()):
        table.add_row(*row)
    console.print(table)


@jobs_app.command("retry")
def jobs_retry(failure_id: Annotated[str, typer.Argument(help="Id from `jobs failed`.")]) -> None:
    """Enqueue a failed job again with its original arguments."""
    from ringfence.jobs import JobQueue
    from ringfence.store import Database

    settings = settings_or_exit()

    async def retry() -> str:
        db = Database(settings.resolved_database_url)
        try:
            return await JobQueue(settings).retry_failure(db, failure_id)
        finally:
            await db.dispose()

    try:
        task_id = run(retry())
    except RingfenceError as exc:
        fail(exc.message)
    console.print(f"enqueued again as task {task_id}")


# Everything ringfence writes (database, job queue, keys, recordings, logs) is for its own user
# only: files 0600, directories 0700, whatever the shell's umask.
PRIVATE_UMASK = 0o077


def main() -> None:
    os.umask(PRIVATE_UMASK)
    app()
