"""Whether an SDP body (RFC 4566) is one we may act on, checked before any library parses it.

A connection address (``c=``, RFC 4566 §5.7) tells us where to send media. We send only to an IP
literal of the family the line names (``IN IP4 192.0.2.1``, ``IN IP6 2001:db8::1``): never a host
name (resolving it per packet is how one bad offer produced thousands of tracebacks), never a
multicast or broadcast group. Every stream with a non-zero port needs a connection address, at
media or session level, and the body needs an audio stream.
"""

from __future__ import annotations

import ipaddress

MAX_SDP_BYTES = 8192  # a G.711 offer is ~300 bytes; a carrier's with many codecs, ~1 KB


def _connection_problem(value: str, *, ip6: bool) -> str | None:
    """RFC 4566 §5.7: ``c=<nettype> <addrtype> <connection-address>``."""
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN":
        return "c= is not 'IN IP4|IP6 <address>'"
    family, address = parts[1], parts[2]
    if family == "IP4":
        try:
            ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(address)
        except ValueError:
            return "c= IN IP4 does not name an IPv4 address"
        if ip == ipaddress.IPv4Address("255.255.255.255"):
            return "c= names the broadcast address"
    elif family == "IP6":
        if "%" in address:
            return "c= IN IP6 carries a zone index"
        try:
            ip = ipaddress.IPv6Address(address)
        except ValueError:
            return "c= IN IP6 does not name an IPv6 address"
        if not ip6:
            return "IPv6 media is not supported here"
    else:
        return "c= address type is neither IP4 nor IP6"
    if ip.is_multicast:
        return "c= names a multicast group"
    return None


def _media_problem(value: str) -> str | None:
    """RFC 4566 §5.14: ``m=<media> <port>[/<number of ports>] <proto> <fmt> ...``."""
    parts = value.split()
    if len(parts) < 4:
        return "m= needs a media type, a port, a protocol and formats"
    port = parts[1].split("/", 1)[0]
    if not port.isdigit() or int(port) > 65535:
        return "m= port is not a port number"
    return None


def sdp_problem(text: str, *, ip6: bool = False) -> str | None:
    """Why ``text`` is not an SDP body we accept, or None when it is. ``ip6``: whether media
    may go to IPv6 addresses (our RTP sockets are IPv4 unless told otherwise)."""
    if len(text.encode("utf-8", errors="replace")) > MAX_SDP_BYTES:
        return "SDP body too large"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "v=0":
        return "SDP does not start with v=0"
    session_address = False
    streams: list[tuple[str, int, bool]] = []  # media type, port, has its own c=
    for line in lines:
        if len(line) < 2 or line[1] != "=":
            return "a line is not <type>=<value>"
        kind, value = line[0], line[2:]
        if kind == "m":
            problem = _media_problem(value)
            if problem:
                return problem
            media, port = value.split()[0], int(value.split()[1].split("/", 1)[0])
            streams.append((media, port, False))
        elif kind == "c":
            problem = _connection_problem(value, ip6=ip6)
            if problem:
                return problem
            if streams:
                streams[-1] = (streams[-1][0], streams[-1][1], True)
            else:
                session_address = True
    if not streams:
        return "SDP has no m= line"
    audio = next((port for media, port, _ in streams if media == "audio"), None)
    if audio is None:
        return "SDP has no audio stream"
    if audio == 0:
        return "the audio stream is disabled (port 0)"  # the first one is the call's
    if any(port and not (own or session_address) for _, port, own in streams):
        return "a stream has no c= connection address"
    return None
