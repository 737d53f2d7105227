"""Self-hosted proof-of-work captcha (ALTCHA) with replay protection.

The server hands out a challenge signed with its key; the browser searches for the number whose
hash the challenge names (a few hundred thousand SHA-256 hashes: a moment for one person, a cost
for a bot farm) and sends the solution with its request. ``altcha`` checks the signature and the
expiry; a solution is accepted once: its digest is kept until the challenge expires, and a second
use is refused.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

from altcha.v1 import ChallengeOptions, create_challenge, verify_solution
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ringfence.abuse.models import SpentCaptcha
from ringfence.clock import Clock
from ringfence.errors import Forbidden, InvalidInput
from ringfence.settings import CaptchaSettings

MAX_PAYLOAD = 2048


class Captcha:
    def __init__(self, settings: CaptchaSettings, key: bytes, clock: Clock) -> None:
        self.settings = settings
        self.key = hashlib.sha256(b"captcha:" + key).hexdigest()
        self.clock = clock

    def challenge(self) -> dict[str, Any]:
        """A new challenge, in the JSON the ALTCHA widget fetches."""
        expires = self.clock.now() + dt.timedelta(seconds=self.settings.expires)
        options = ChallengeOptions(
            hmac_key=self.key, max_number=self.settings.max_number, expires=expires
        )
        made = create_challenge(options)
        return {
            "algorithm": made.algorithm,
            "challenge": made.challenge,
            "maxnumber": made.max_number,
            "salt": made.salt,
            "signature": made.signature,
        }

    async def redeem(self, session: AsyncSession, payload: str) -> None:
        """Accept a solution once. InvalidInput when missing or malformed, Forbidden when wrong,
        expired or already used. The spent mark commits with the caller's transaction."""
        if not payload:
            raise InvalidInput("solve the captcha first (the 'I'm not a robot' box)")
        if len(payload) > MAX_PAYLOAD:
            raise InvalidInput("the captcha solution is too long")
        try:
            data = json.loads(base64.b64decode(payload, validate=True))
            salt = str(data["salt"])
            challenge = str(data["challenge"])
        except (ValueError, TypeError, KeyError):
            raise InvalidInput("the captcha solution is not readable: solve it again") from None
        expires = _expiry(salt)
        if expires is None or expires <= self.clock.now():
            raise Forbidden("the captcha has expired: solve it again")
        ok, _ = verify_solution(data, self.key, check_expires=False)
        if not ok:
            raise Forbidden("the captcha solution is wrong: solve it again")
        await spend_once(
            session,
            f"captcha:{challenge}:{salt}",
            expires=expires,
            refusal="this captcha solution was already used: solve a new one",
        )

    async def forget_expired(self, session: AsyncSession) -> int:
        result = await session.execute(
            delete(SpentCaptcha).where(SpentCaptcha.expires_at <= self.clock.now())
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def spend_once(
    session: AsyncSession, what: str, *, expires: dt.datetime, refusal: str
) -> None:
    """Mark ``what`` (a solution, a single-use token's nonce) used until ``expires``; Forbidden
    with ``refusal`` when it already was. Commits with the caller's transaction."""
    digest = hashlib.sha256(what.encode()).hexdigest()
    try:
        async with session.begin_nested():
            session.add(SpentCaptcha(digest=digest, expires_at=expires))
    except IntegrityError:
        raise Forbidden(refusal) from None


def _expiry(salt: str) -> dt.datetime | None:
    """The expiry the challenge was signed with (the ``expires`` parameter of its salt)."""
    _, _, query = salt.partition("?")
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "expires" and value.isdigit():
            return dt.datetime.fromtimestamp(int(value), dt.UTC)
    return None
