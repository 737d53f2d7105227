"""UDP, TCP and TLS transports, with the refusals RFC 4475 expects made at the boundary."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from aiosipua import (
    SipMessage,
    SipRequest,
    SipResponse,
)
from aiosipua.transport import TcpSipTransport, UdpSipTransport, _UdpProtocol


def _refusal(line: bytes, request: SipMessage, raw: bytes) -> tuple[int, str] | None:
    """What RFC 4475 expects for requests aiosipua's parser would take as valid."""
    parts = line.split()
    if parts[2] != b"SIP/2.0":
        return 505, "Version Not Supported"  # §3.1.2.16 (the parser drops the version)
    scheme = parts[1].split(b":", 1)[0].lower()
    if scheme not in (b"sip", b"sips", b"tel"):
        return 416, "Unsupported URI Scheme"  # §3.3.2, RFC 3261 §8.2.2.1
    method = parts[0].decode(errors="replace").upper()
    cseq = (request.headers.get_first("CSeq") or "").split()
    if len(cseq) != 2 or not cseq[0].isdigit():
        return 400, "Bad CSeq"
    if cseq[1].upper() != method:
        return 400, "CSeq Method Does Not Match"  # §3.1.2.17
    if int(cseq[0]) >= 2**31:
        return 400, "CSeq Out Of Range"  # §3.1.2.4, RFC 3261 §8.1.1.5
    forwards = request.headers.get_first("Max-Forwards")
    if forwards is not None and (not forwards.strip().isdigit() or int(forwards) > 255):
        return 400, "Bad Max-Forwards"  # §3.1.2.4
    length = request.headers.get_first("Content-Length")
    if length is not None:
        if not length.strip().isdigit():
            return 400, "Bad Content-Length"  # §3.1.2.3 (negative)
        _, _, body = raw.partition(b"\r\n\r\n")
        if int(length) > len(body):
            return 400, "Content-Length Exceeds Message"  # §3.1.2.2, over a datagram
    return None


def _refused(transport: Any, data: bytes, addr: tuple[str, int]) -> bool:
    """Answer here (and stop) the requests RFC 4475 says must be refused; True when done."""
    line = data.split(b"\r\n", 1)[0].split(b"\n", 1)[0]
    parts = line.split()
    if len(parts) != 3 or parts[0].startswith(b"SIP/"):
        return False
    try:
        request = SipMessage.parse(data)
    except Exception:
        return False  # the library's own parser reports and drops it
    refusal = _refusal(line, request, data)
    if refusal is None:
        return False
    response = SipResponse(status_code=refusal[0], reason_phrase=refusal[1])
    for name in ("Via", "From", "To", "Call-ID", "CSeq"):
        for value in request.headers.get(name):
            response.headers.append(name, value)
    try:
        transport.send(response, addr)
    except (OSError, RuntimeError):
        pass
    return True


class _Protocol(_UdpProtocol):
    """aiosipua 0.7 asserts the transport is an ``asyncio.DatagramTransport``, which CPython
    3.11's selector transport is not (it subclasses ``_FlowControlMixin``); the assertion fails
    in ``connection_made`` and logs an error on every start. Same work, without the assert."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._owner._udp_transport = transport  # type: ignore[assignment]


class UdpTransport(UdpSipTransport):
    reuse_port = False

    def _dispatch(self, data: bytes, addr: tuple[str, int]) -> None:
        if not _refused(self, data, addr):
            super()._dispatch(data, addr)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self), local_addr=self.local_addr, reuse_port=self.reuse_port or None
        )
        self._udp_transport = transport
        # Bound to port 0, the OS picked one: Via and Contact must carry the real port.
        port = transport.get_extra_info("sockname")[1]
        self.local_addr = (self.local_addr[0], int(port))


class StreamTransport(TcpSipTransport):
    """SIP over TCP (RFC 3261 §18), and over TLS when given SSL contexts. aiosipua writes
    ``SIP/2.0/UDP`` into the Via of every request it builds and no transport in the Contact, so
    the peer would answer and route in-dialog requests over UDP; requests are corrected here, at
    the transport boundary."""

    via_token = "TCP"
    reuse_port = False
    server_ssl: ssl.SSLContext | None = None
    client_ssl: ssl.SSLContext | None = None

    def _dispatch(self, data: bytes, addr: tuple[str, int]) -> None:
        if not _refused(self, data, addr):
            super()._dispatch(data, addr)

    async def start(self) -> None:
        if self.via_token == "TLS" and self.server_ssl is None:
            return  # a TLS client only: connections are opened, nothing is accepted
        self._server = await asyncio.start_server(
            self._handle_connection,
            host=self.local_addr[0],
            port=self.local_addr[1],
            ssl=self.server_ssl,
            reuse_port=self.reuse_port or None,
        )
        port = self._server.sockets[0].getsockname()[1]
        self.local_addr = (self.local_addr[0], int(port))

    async def connect(
        self, remote_addr: tuple[str, int]
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.client_ssl is None:
            return await super().connect(remote_addr)
        reader, writer = await asyncio.open_connection(
            remote_addr[0], remote_addr[1], ssl=self.client_ssl
        )
        self._connections[remote_addr] = (reader, writer)
        self._spawn(self._handle_incoming(reader, writer, remote_addr))
        return reader, writer

    async def _handle_incoming(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, addr: tuple[str, int]
    ) -> None:
        # aiosipua forgets a connection the peer closed without closing its writer.
        try:
            await super()._handle_incoming(reader, writer, addr)
        finally:
            writer.close()

    def send(self, message: SipRequest | Any, addr: tuple[str, int]) -> None:
        if isinstance(message, SipRequest):
            vias = message.headers.get("Via")
            if len(vias) == 1:
                via = vias[0].replace("SIP/2.0/UDP", f"SIP/2.0/{self.via_token}", 1)
                message.headers.set_single("Via", via)
            contact = message.headers.get_first("Contact")
            if contact and "transport=" not in contact and contact.endswith(">"):
                param = f";transport={self.via_token.lower()}>"
                message.headers.set_single("Contact", contact[:-1] + param)
        if addr not in self._connections:
            # A request to a Contact address of a peer we reached on another port: use the
            # connection we hold to that host.
            same_host = [a for a in self._connections if a[0] == addr[0]]
            if same_host:
                addr = same_host[0]
        super().send(message, addr)


def tls_contexts(
    cert: str | None, key: str | None, ca: str | None
) -> tuple[ssl.SSLContext | None, ssl.SSLContext]:
    """(server context when a certificate is given, client context verifying peers)."""
    server = None
    if cert and key:
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server.load_cert_chain(cert, key)
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    return server, client
