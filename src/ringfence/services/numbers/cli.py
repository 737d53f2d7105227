"""``ringfence numbers``: generate numbers to stdout, or check one or a file of them.

The generator, its tables and libphonenumber's geocoder are imported when a command runs, so
the command line itself starts quickly."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ringfence.errors import InvalidInput

if TYPE_CHECKING:
    from ringfence.services.numbers.describe import NumberInfo
    from ringfence.services.numbers.service import NumberBatch

# The number types (``kinds.KINDS``, which imports libphonenumber: written out here so that the
# command line starts without it; tests/unit/services/numbers/test_cli_imports.py keeps the two
# the same).
TYPE_HELP = (
    "any, fixed_line, mobile, toll_free, premium_rate, shared_cost, voip, personal_number, "
    "pager, uan, voicemail"
)

app = typer.Typer(
    help="Random phone numbers, valid for every country, or reserved for fiction (--safe).",
    invoke_without_command=True,
    no_args_is_help=False,
)
stderr = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    stderr.print(f"ringfence: {message}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


@app.callback()
def generate(
    ctx: typer.Context,
    region: Annotated[str, typer.Option(help="ISO 3166 region code, e.g. US, GB.")] = "US",
    kind: Annotated[str, typer.Option("--type", help=TYPE_HELP)] = "any",
    count: Annotated[int, typer.Option(help="How many numbers.", min=1)] = 10,
    fmt: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help="The file (csv, jsonl, txt) and/or each number's format (e164, national, "
            "international, rfc3966); give it twice for both.",
        ),
    ] = None,
    prefix: Annotated[
        str,
        typer.Option(help="Digits the national number starts with, e.g. 415 (US), 20 (London)."),
    ] = "",
    safe: Annotated[
        bool, typer.Option("--safe", help="Only numbers reserved for fiction.")
    ] = False,
    seed: Annotated[int | None, typer.Option(help="Seed for reproducible output.", min=0)] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Every format and flag per number (slower).")
    ] = False,
) -> None:
    """Write numbers to stdout (E.164 first), with a progress bar on stderr."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from ringfence.services.numbers import export, formats, service
    from ringfence.services.numbers.describe import describe_e164

    try:
        request = service.parse_request(region, kind, safe, prefix)
        chosen = formats.parse_formats(fmt or ())
        batches = service.bulk_e164(request, count, seed)
    except InvalidInput as exc:
        raise _fail(exc.message) from None

    out = sys.stdout.buffer
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    ) as progress:
        task = progress.add_task("numbers", total=count)

        def counted() -> Iterator[NumberBatch]:
            for batch in batches:
                yield batch
                progress.advance(task, len(batch))

        if full:
            infos = ([describe_e164(n) for n in batch.numbers] for batch in counted())
            chunks = export.full(infos, chosen.file)  # type: ignore[arg-type]
        else:
            chunks = export.brief(
                formats.formatted(counted(), chosen.number),
                chosen.file,  # type: ignore[arg-type]
                safe,
                chosen.number,
                service.reserved_by(request),
            )
        try:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
        except BrokenPipeError:  # `| head`: the reader has what it wanted
            sys.stderr.close()


@app.command("check")
def check(
    number: Annotated[
        str,
        typer.Argument(
            help="A number (E.164, or national with --region), or a file of numbers (CSV with "
            "a header, or one per line), or - for standard input."
        ),
    ],
    region: Annotated[str | None, typer.Option(help="Region for national numbers.")] = None,
    column: Annotated[
        str | None, typer.Option(help="A CSV file's number column (default: number, phone...).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="A file's verdicts: csv or jsonl.")] = "csv",
    as_json: Annotated[
        bool, typer.Option("--json", help="One number's verdict as JSON instead of text.")
    ] = False,
) -> None:
    """Say whether a number is valid and possible, its type and region, and if it is fictional;
    for a file, one verdict per row, streamed."""
    if number == "-" or Path(number).is_file():
        _check_file(number, region, column, fmt)
        return
    from ringfence.services.numbers import service

    try:
        info = service.check(number, region)
    except InvalidInput as exc:
        raise _fail(exc.message) from None
    if as_json:
        typer.echo(json.dumps(info.to_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(readable(info))


def readable(info: NumberInfo) -> str:
    """One number's verdict as a person reads it: the answer first, then the details."""
    if info.valid:
        headline = f"{info.international}: a valid {info.type.replace('_', ' ')} number"
    elif info.possible:
        headline = f"{info.international}: possible (its length fits) but not valid"
    else:
        headline = f"{info.international}: not a possible number (wrong length)"
    if info.fictional:
        headline += ", reserved for fiction"
    rows = [
        ("valid", "yes" if info.valid else "no"),
        ("possible", "yes" if info.possible else "no"),
        ("type", info.type.replace("_", " ")),
        ("region", info.region or "unknown (libphonenumber cannot place it)"),
        ("place", info.description or "-"),
        ("E.164", info.e164),
        ("national", info.national),
        ("international", info.international),
        ("RFC 3966", info.rfc3966),
        ("fiction", info.fiction_note or "no: not in a range reserved for fiction"),
    ]
    if info.fiction_source:
        rows.append(("source", info.fiction_source))
    width = max(len(name) for name, _ in rows)
    return "\n".join([headline, *(f"  {name:<{width}}  {value}" for name, value in rows)])


def _check_file(path: str, region: str | None, column: str | None, fmt: str) -> None:
    from ringfence.services.numbers import validation

    out = sys.stdout.buffer
    source = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 - closed below
    try:
        for chunk in validation.check_stream(
            iter(lambda: source.read(validation.CHUNK), b""), fmt, region, column
        ):
            out.write(chunk)
        out.flush()
    except InvalidInput as exc:
        raise _fail(exc.message) from None
    except BrokenPipeError:
        sys.stderr.close()
    finally:
        if source is not sys.stdin.buffer:
            source.close()
