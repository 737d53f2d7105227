"""``ringfence call`` and ``ringfence sip status``. The SIP engine and the speech tools are
imported when ``call`` runs, not when the command line is built."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ringfence.cli.common import console, fail, run, settings_or_exit
from ringfence.errors import RingfenceError

if TYPE_CHECKING:
    from ringfence.settings import Settings
    from ringfence.telephony import Call

sip_app = typer.Typer(help="The SIP engine and its trunks.", no_args_is_help=True)


def call(
    number: Annotated[str, typer.Argument(help="E.164 number to call, e.g. +15550100.")],
    say: Annotated[str | None, typer.Option(help="Text spoken when answered.")] = None,
    play: Annotated[
        Path | None, typer.Option(help="Audio file played when answered (after --say).")
    ] = None,
    via: Annotated[
        str | None, typer.Option(help="sip:HOST:PORT: send to this SIP peer, not a trunk.")
    ] = None,
    from_: Annotated[str | None, typer.Option("--from", help="Caller id (E.164).")] = None,
    ring: Annotated[float, typer.Option(help="Seconds to ring before giving up.")] = 30.0,
    port: Annotated[int, typer.Option(help="Local SIP port (0: any free one).")] = 0,
) -> None:
    """Place a call, print its events, speak a message when answered, hang up."""
    settings = settings_or_exit()
    try:
        answered = run(_call(settings, number, say, play, via, from_, ring, port))
    except RingfenceError as exc:
        fail(exc.message)
    raise typer.Exit(0 if answered else 1)


async def _call(
    settings: Settings,
    number: str,
    say: str | None,
    play: Path | None,
    via: str | None,
    from_: str | None,
    ring: float,
    port: int,
) -> bool:
    import asyncio

    from ringfence.clock import SystemClock
    from ringfence.media.files import load_audio
    from ringfence.media.speech import speak
    from ringfence.telephony import TelephonyEngine
    from ringfence.telephony.dialing import parse
    from ringfence.telephony.gate import AnyNumber, Caller, OutboundGate, Placement

    prompt = (await speak(say) if say else b"") + (await load_audio(play) if play else b"")
    engine = TelephonyEngine(settings, port=port)
    await engine.start()
    try:
        gate = OutboundGate(engine, None, SystemClock(), settings)
        if via is not None:
            live = await gate.place_via(number, via, present=from_, ring_timeout=ring)
        else:  # through a trunk: the dialling policy and the caller-ID rule, like any call
            live = await gate.place(
                parse(number, None),
                Caller("operator"),
                AnyNumber(),
                present=from_,
                placement=Placement(ring_timeout=ring),
            )
        finisher: asyncio.Future[None] | None = None
        async for event in live.events():
            detail = f" {event.status}" if event.status else ""
            if event.kind == "ended":
                detail += f" {event.reason} by {event.by} (Q.850 cause {event.q850})"
            console.print(f"{event.at.strftime('%H:%M:%S.%f')[:-3]} {event.kind}{detail}")
            if event.kind == "answered":
                live.play(prompt)
                finisher = asyncio.ensure_future(_finish(live))
        if finisher is not None:
            await finisher
        return live.answered_at is not None
    finally:
        await engine.stop()


async def _finish(live: Call) -> None:
    await live.played()
    await live.hangup()


@sip_app.command("status")
def status() -> None:
    """Trunks from settings, and what the running server's engine reports."""
    settings = settings_or_exit()
    from rich.table import Table

    table = Table("trunk", "host", "prefixes", "auth")
    for carrier in settings.telephony.carriers:
        table.add_row(
            carrier.name,
            f"{carrier.host}:{carrier.port}",
            ",".join(carrier.prefixes) or "all",
            "digest" if carrier.username else "ip",
        )
    if settings.telephony.carriers:
        console.print(table)
    elif settings.telephony.builtin_test_phone:
        console.print("no trunk configured: the built-in test phone is the carrier (open /phone)")
    else:
        console.print("no trunk configured")
    url = f"http://{settings.web.host}:{settings.web.port}/api/telephony/status"
    request = urllib.request.Request(url)
    token = settings.web.operator_token
    if token is not None:  # the operator's endpoint: without a token it answers loopback only
        request.add_header("Authorization", f"Bearer {token.get_secret_value()}")
    try:
        with urllib.request.urlopen(request, timeout=3) as resp:  # noqa: S310 - our own server
            live = json.load(resp)
    except urllib.error.HTTPError as exc:
        console.print(f"the server refused the status request ({exc.code}): {exc.reason}")
        return
    except OSError:
        console.print(f"server not reachable at {url}")
        return
    state = "running on " + live["sip"] if live["running"] else "not running"
    console.print(f"SIP engine {state}; calls: {live['calls'] or 'none'}")
    for trunk, registration in live.get("registrations", {}).items():
        console.print(f"trunk {trunk}: {registration}")


def install(app: typer.Typer) -> None:
    app.command("call")(call)
    app.add_typer(sip_app, name="sip")
