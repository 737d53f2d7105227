"""Who may call in: one allow-list for inbound SIP, decided at the edge (issue 17).

A trunk trusts the networks in ``inbound_sources`` (or, when it names none, the addresses its
``host`` resolves to at start-up); a built-in trunk (the test phone's, in this process) only the
one port it sends from, so another program on the same machine is not taken for it (and its
INVITEs are not limited per source: they were limited where they started). A source
outside them is refused ``403``, unless a trunk has inbound digest credentials: then it is
challenged (``407``) and admitted once it authenticates (``telephony/digest.py``). Before any of
that, new INVITEs are limited per source address (``503`` with ``Retry-After`` beyond it), so a
flood costs us a dictionary lookup, not a digest. Every refusal is counted by reason (the
``ringfence_sip_inbound_refused_total`` metric) and logged with the source's day tag and network
(``ip_tags``), never its full address, nor a number, a URI or a credential.
"""

from __future__ import annotations

import collections
import ipaddress
import math
from collections.abc import Iterable
from dataclasses import dataclass

from ringfence.clock import Clock
from ringfence.ip_tags import IpTags
from ringfence.logging import get_logger
from ringfence.telephony._sip import InboundRequest, Refusal
from ringfence.telephony.digest import DigestAuthority, Outcome

log = get_logger(__name__)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
WINDOW = 60.0
MAX_SOURCES = 10_000  # sources tracked by the rate limit; beyond it new sources are refused


@dataclass(frozen=True)
class TrustedTrunk:
    name: str
    networks: tuple[Network, ...]
    username: str | None = None
    password: str | None = None
    port: int | None = None  # the only source port taken (a built-in trunk's); None: any

    def matches(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int) -> bool:
        in_network = any(ip in network for network in self.networks)
        return in_network and (self.port is None or self.port == port)


def networks(entries: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class SourceLimiter:
    """At most ``per_minute`` new INVITEs from one source in any 60 s. A digest retry or a
    retransmission shares its Call-ID with the first INVITE and is not counted again."""

    def __init__(self, per_minute: int, clock: Clock) -> None:
        self._limit = per_minute
        self._clock = clock
        self._seen: dict[str, collections.deque[tuple[float, str]]] = {}

    def wait(self, source: str, call_id: str) -> float | None:
        """None when admitted (and counted); otherwise the seconds until it would be."""
        now = self._clock.monotonic()
        if source not in self._seen and len(self._seen) >= MAX_SOURCES:
            self._prune(now)
            if len(self._seen) >= MAX_SOURCES:
                return WINDOW
        recent = self._seen.setdefault(source, collections.deque())
        while recent and now - recent[0][0] >= WINDOW:
            recent.popleft()
        if any(seen == call_id for _, seen in recent):
            return None
        if len(recent) >= self._limit:
            return WINDOW - (now - recent[0][0])
        recent.append((now, call_id))
        return None

    def _prune(self, now: float) -> None:
        for source in [s for s, q in self._seen.items() if not q or now - q[-1][0] >= WINDOW]:
            del self._seen[source]


class InboundGate:
    """The stack's ``admit``: a trunk's name for a request we take, a ``Refusal`` otherwise."""

    def __init__(
        self,
        trunks: list[TrustedTrunk],
        *,
        per_minute: int,
        key: bytes,
        clock: Clock,
        tags: IpTags,
    ) -> None:
        self._trunks = trunks
        self._limiter = SourceLimiter(per_minute, clock)
        self._digest = DigestAuthority(key, clock)
        self._passwords = {t.username: t.password for t in trunks if t.username and t.password}
        self._trunk_of_user = {t.username: t.name for t in trunks if t.username}
        self.refused: collections.Counter[str] = collections.Counter()
        self._logged_limit: set[str] = set()
        self._logged: dict[str, float] = {}  # source -> when its last refusal was logged
        self._clock = clock
        self._tags = tags

    def __call__(self, request: InboundRequest) -> str | Refusal:
        source = request.source[0]
        ip = _address(source)
        if ip is not None:
            for trunk in self._trunks:
                # A built-in trunk is another engine of this process, on its own port: not
                # limited here (its calls were limited where they started).
                if trunk.port is not None and trunk.matches(ip, request.source[1]):
                    return trunk.name
        if request.method == "INVITE":
            wait = self._limiter.wait(source, request.call_id)
            if wait is not None:
                if source not in self._logged_limit:  # once per burst, not once per datagram
                    self._logged_limit.add(source)
                    log.warning("sip_inbound_rate_limited", **self._tags.describe(source))
                self.refused["rate_limited"] += 1
                retry = str(max(1, math.ceil(wait)))
                return Refusal(503, "Service Unavailable", {"Retry-After": retry})
            self._logged_limit.discard(source)
        if ip is not None:
            for trunk in self._trunks:
                if trunk.matches(ip, request.source[1]):
                    return trunk.name
        if request.method != "INVITE" or not self._passwords:
            return self._refuse("untrusted_source", request)
        header = request.proxy_authorization
        if header is None:
            self.refused["challenged"] += 1
            challenge = self._digest.challenge()
            return Refusal(407, "Proxy Authentication Required", {"Proxy-Authenticate": challenge})
        verdict = self._digest.verify(
            header, method=request.method, uri=request.uri, passwords=self._passwords
        )
        if verdict.outcome is Outcome.STALE:
            self.refused["challenged"] += 1
            challenge = self._digest.challenge(stale=True)
            return Refusal(407, "Proxy Authentication Required", {"Proxy-Authenticate": challenge})
        if verdict.outcome is Outcome.OK and verdict.username is not None:
            return self._trunk_of_user[verdict.username]
        return self._refuse("bad_credentials", request)

    def trust(self, trunk: TrustedTrunk) -> None:
        """Take calls from ``trunk`` too (a built-in one, known once its socket is bound)."""
        self._trunks.append(trunk)

    def distrust(self, name: str) -> None:
        """Take no more calls from the trunk named ``name`` (a built-in one that stopped)."""
        self._trunks = [t for t in self._trunks if t.name != name]

    def _refuse(self, reason: str, request: InboundRequest) -> Refusal:
        self.refused[reason] += 1
        source, now = request.source[0], self._clock.monotonic()
        # At most one line per source a minute: a flood of OPTIONS must not flood the log.
        if now - self._logged.get(source, -WINDOW) >= WINDOW:
            if len(self._logged) >= MAX_SOURCES:
                self._logged.clear()
            self._logged[source] = now
            log.warning(
                "sip_inbound_refused",
                **self._tags.describe(source),
                method=request.method,
                reason=reason,
            )
        return Refusal(403, "Forbidden")
