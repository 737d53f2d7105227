"""Symmetric RTP (RFC 4961): media goes back to where the peer's media comes from.

The SDP's address is only where we start sending. The first valid RTP packet from the peer (an
RTP version 2 packet of the payload type we negotiated, or telephone-event) fixes the
destination for the rest of the call, and after that packets from any other address are
dropped: a third party cannot redirect or inject audio. aiortp's own ``symmetric_rtp`` follows
every packet's source, which anyone able to send us a datagram could use to steal the stream.
With ``latch=False`` (a trunk with ``media_to_signalling_source``) the destination never moves.
"""

from __future__ import annotations

import aiortp
from aiortp.packet import RtpPacket


class LatchingSession(aiortp.RTPSession):
    latching = True
    latched: tuple[str, int] | None = None
    _expected: frozenset[int] = frozenset()

    @classmethod
    async def open(
        cls,
        *,
        local_addr: tuple[str, int],
        remote_addr: tuple[str, int],
        payload_type: int,
        dtmf_payload_type: int,
        latch: bool,
    ) -> LatchingSession:
        session = await cls.create(
            local_addr=local_addr,
            remote_addr=remote_addr,
            payload_type=payload_type,
            dtmf_payload_type=dtmf_payload_type,
        )
        assert isinstance(session, LatchingSession)  # aiortp's create builds ``cls``
        session.latching = latch
        session._expected = frozenset((payload_type, dtmf_payload_type))
        return session

    def _handle_rtp(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.latching:
            if self.latched is None:
                try:
                    packet = RtpPacket.parse(data)
                except ValueError:
                    return
                if packet.payload_type not in self._expected:
                    return
                self.latched = (str(addr[0]), int(addr[1]))
                self.update_remote(self.latched)
            elif (str(addr[0]), int(addr[1])) != self.latched:
                return
        super()._handle_rtp(data, addr)
