"""Codes typed on a phone's keypad: proof that whoever answers a number also sees a page.

A page shows a short code, the platform calls the number, and the person types the code; the
call compares it in constant time and allows a few attempts. ring uses it to put a number on its
never-ring list, dial to let an account show its own number as caller id, a business
(``tenants.numbers``) to prove it controls a number.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ringfence.telephony.calls import Call
from ringfence.telephony.progress import Progress

ENTRY_TIMEOUT = 20.0  # seconds to type the code
WRONG = "That is not the code. Please try again."
FAILED = "That is not the code. Goodbye."


def new_code(digits: int = 4) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(digits))


async def typed_digits(keys: asyncio.Queue[str], count: int) -> str:
    """``count`` digits from the keypad (``#`` ends early; ``*`` and letters are ignored)."""
    typed = ""
    while len(typed) < count:
        digit = await keys.get()
        if digit == "#":
            break
        if digit.isdigit():
            typed += digit
    return typed


@dataclass(frozen=True)
class CodePrompt:
    intro: str  # asks for the code
    done: str  # said once the code matched


async def confirm_code(
    call: Call,
    keys: asyncio.Queue[str],
    code: str,
    *,
    prompt: CodePrompt,
    speak: Callable[[str], Awaitable[bytes]],
    attempts: int,
    on_match: Callable[[], Awaitable[None]],
) -> bool:
    """Ask for ``code`` until it is typed (then ``on_match`` runs and ``prompt.done`` is said) or
    the attempts or the time run out."""
    call.play(await speak(prompt.intro))
    for attempt in range(attempts):
        try:
            typed = await asyncio.wait_for(typed_digits(keys, len(code)), ENTRY_TIMEOUT)
        except TimeoutError:
            return False
        call.stop_playing()
        if secrets.compare_digest(typed, code):
            await on_match()
            call.play(await speak(prompt.done))
            await call.played()
            return True
        call.play(await speak(FAILED if attempt == attempts - 1 else WRONG))
    await call.played()
    return False


async def code_call(
    call: Call,
    code: str,
    *,
    prompt: CodePrompt,
    speak: Callable[[str], Awaitable[bytes]],
    on_match: Callable[[], Awaitable[None]],
    progress: Progress | None = None,
    attempts: int = 3,
) -> bool:
    """Follow a placed call that proves a number: on answer ask for ``code`` (``confirm_code``)
    from the digits the call hears (RFC 4733 events or SIP INFO), then hang up. True when the
    code was typed (``on_match`` has run). Ringing and answer are reported to ``progress``."""
    keys: asyncio.Queue[str] = asyncio.Queue()
    asked: asyncio.Task[bool] | None = None

    async def ask() -> bool:
        try:
            return await confirm_code(
                call, keys, code, prompt=prompt, speak=speak, attempts=attempts, on_match=on_match
            )
        finally:
            await call.hangup()

    async for event in call.events():
        if progress is not None and event.kind in ("ringing", "answered"):
            await progress.step(event.kind)
        if event.kind == "answered" and asked is None:
            asked = asyncio.create_task(ask())
        elif event.kind == "dtmf" and event.digit:
            keys.put_nowait(event.digit)
    return await asked if asked is not None else False
