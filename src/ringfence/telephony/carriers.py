"""Choosing the SIP trunk for a number: the longest matching E.164 prefix wins."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from ringfence.errors import InvalidInput, ServiceUnavailable
from ringfence.settings import CarrierSettings


@dataclass(frozen=True)
class Route:
    name: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    caller_id: str | None = None
    transport: str = "udp"
    proxy: tuple[str, int] | None = None  # where requests go when not to ``host:port``
    codecs: tuple[str, ...] = ("PCMU", "PCMA")
    media_to_signalling_source: bool = False


def normalise(number: str, default_region: str | None = None) -> str:
    """E.164 for a number as typed; InvalidInput with the reason otherwise."""
    try:
        parsed = phonenumbers.parse(number, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"not a phone number: {exc._msg}") from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidInput("not a possible phone number (wrong length for its country)")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_via(via: str) -> Route:
    """``sip:HOST:PORT[;transport=tcp|tls]`` (or ``HOST:PORT``) as a route, no credentials."""
    text, _, params = via.removeprefix("sip:").partition(";")
    transport = "udp"
    for param in params.split(";") if params else []:
        name, _, value = param.partition("=")
        if name.lower() == "transport" and value.lower() in ("udp", "tcp", "tls"):
            transport = value.lower()
        else:
            raise InvalidInput(f"unsupported parameter {param!r} in --via (transport=udp|tcp|tls)")
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise InvalidInput(f"--via must look like sip:HOST:PORT, not {via!r}")
    return Route(name="via", host=host, port=int(port), transport=transport)


def choose(carriers: list[CarrierSettings], e164: str) -> Route:
    digits = e164.lstrip("+")
    best: CarrierSettings | None = None
    best_len = -1
    for carrier in carriers:
        prefixes = carrier.prefixes or [""]
        for prefix in prefixes:
            if digits.startswith(prefix) and len(prefix) > best_len:
                best, best_len = carrier, len(prefix)
    if best is None:
        if not carriers:
            raise ServiceUnavailable("no SIP carrier is configured (RINGFENCE_TELEPHONY__CARRIERS)")
        raise ServiceUnavailable("no configured carrier serves this destination")
    return Route(
        name=best.name,
        host=best.host,
        port=best.port,
        username=best.username,
        password=best.password.get_secret_value() if best.password else None,
        caller_id=best.caller_id,
        transport=best.transport,
        proxy=_host_port(best.outbound_proxy) if best.outbound_proxy else None,
        codecs=tuple(best.codecs),
        media_to_signalling_source=best.media_to_signalling_source,
    )


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.removeprefix("sip:").rpartition(":")
    if not host or not port.isdigit():
        raise InvalidInput(f"outbound proxy must be HOST:PORT, not {text!r}")
    return host, int(port)
