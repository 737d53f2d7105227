"""SIP digest authentication of inbound requests (RFC 3261 §22.4, RFC 2617 §3.2 with qop=auth).

We are the server: ``challenge()`` is the ``Proxy-Authenticate`` value of a 407, ``verify()``
checks the ``Proxy-Authorization`` of the retried request. A nonce is ours only if it carries our
MAC over its issue time; it expires after ``NONCE_LIFETIME`` seconds (then the client is told
``stale=true`` and retries without asking its user again), and each nonce count (``nc``) is
accepted once, so a captured request cannot be replayed.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from ringfence.clock import Clock

NONCE_LIFETIME = 300.0
MAX_HEADER = 2048
_PARAM = re.compile(r'\s*([A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))\s*(?:,|$)')


class Outcome(enum.Enum):
    OK = "ok"
    STALE = "stale"  # our nonce, expired: challenge again with stale=true
    BAD = "bad"  # not ours, wrong user, wrong password, replayed, malformed


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    username: str | None = None


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def parse_params(header: str) -> dict[str, str] | None:
    """The parameters of ``Digest k=v, k="v"``; None when it is not one."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "digest" or len(header) > MAX_HEADER:
        return None
    params: dict[str, str] = {}
    pos = 0
    rest = rest.strip()
    while pos < len(rest):
        match = _PARAM.match(rest, pos)
        if match is None or match.end() == pos:
            return None
        value = match.group(2) if match.group(2) is not None else match.group(3)
        params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", value)
        pos = match.end()
    return params


class DigestAuthority:
    def __init__(self, key: bytes, clock: Clock, *, realm: str = "ringfence") -> None:
        self._key = hmac.new(key, b"sip-digest-nonce", hashlib.sha256).digest()
        self._clock = clock
        self.realm = realm
        self._counts: dict[str, tuple[float, int]] = {}  # nonce -> (issued, highest nc seen)

    def _mac(self, stamp: str, salt: str) -> str:
        return hmac.new(self._key, f"{stamp}.{salt}".encode(), hashlib.sha256).hexdigest()[:32]

    def nonce(self) -> str:
        stamp = f"{int(self._clock.monotonic() * 1000):x}"
        salt = secrets.token_hex(8)
        return f"{stamp}.{salt}.{self._mac(stamp, salt)}"

    def challenge(self, *, stale: bool = False) -> str:
        value = f'Digest realm="{self.realm}", nonce="{self.nonce()}", qop="auth", algorithm=MD5'
        return value + (", stale=true" if stale else "")

    def _issued(self, nonce: str) -> float | None:
        """When we issued ``nonce`` (monotonic seconds), or None when it is not ours."""
        parts = nonce.split(".")
        if len(parts) != 3 or not hmac.compare_digest(parts[2], self._mac(parts[0], parts[1])):
            return None
        try:
            return int(parts[0], 16) / 1000
        except ValueError:
            return None

    def verify(self, header: str, *, method: str, uri: str, passwords: dict[str, str]) -> Verdict:
        """RFC 2617 §3.2.2: ``response = MD5(HA1:nonce:nc:cnonce:qop:HA2)``, with
        ``HA1 = MD5(username:realm:password)`` and ``HA2 = MD5(method:digest-uri)``."""
        now = self._clock.monotonic()
        self._forget_expired(now)
        params = parse_params(header)
        if params is None:
            return Verdict(Outcome.BAD)
        needed = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
        if any(name not in params for name in needed):
            return Verdict(Outcome.BAD)
        if params["qop"] != "auth" or params.get("algorithm", "MD5").upper() != "MD5":
            return Verdict(Outcome.BAD)
        if params["realm"] != self.realm or params["uri"] != uri:
            return Verdict(Outcome.BAD)
        issued = self._issued(params["nonce"])
        if issued is None or issued > now:
            return Verdict(Outcome.BAD)
        try:
            count = int(params["nc"], 16)
        except ValueError:
            return Verdict(Outcome.BAD)
        user = params["username"]
        password = passwords.get(user)
        if password is None:
            return Verdict(Outcome.BAD)
        ha1 = _md5(f"{user}:{self.realm}:{password}")
        ha2 = _md5(f"{method}:{params['uri']}")
        expected = _md5(f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:auth:{ha2}")
        if not hmac.compare_digest(expected, params["response"].lower()):
            return Verdict(Outcome.BAD)
        if now - issued > NONCE_LIFETIME:
            return Verdict(Outcome.STALE, user)
        _, seen = self._counts.get(params["nonce"], (issued, 0))
        if count <= seen:
            return Verdict(Outcome.BAD)  # a replayed request
        self._counts[params["nonce"]] = (issued, count)
        return Verdict(Outcome.OK, user)

    def _forget_expired(self, now: float) -> None:
        for nonce in [n for n, (t, _) in self._counts.items() if now - t > NONCE_LIFETIME]:
            del self._counts[nonce]
