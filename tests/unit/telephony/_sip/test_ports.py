"""RTP ports stay reserved from the SDP offer until the stream binds them."""

from __future__ import annotations

import socket

import pytest

from ringfence.telephony._sip.ports import RtpPorts
from tests.support.sipp import free_rtp_range


async def test_two_allocators_on_one_range_never_share_a_port() -> None:
    """Two engines in one host with the same range: a port offered by one is not the other's."""
    low, _ = free_rtp_range()
    first, second = RtpPorts(low, low + 4), RtpPorts(low, low + 4)
    a, _ = await first.allocate()
    b, _ = await second.allocate()
    try:
        assert a != b
        with pytest.raises(RuntimeError, match="no free RTP port"):
            await second.allocate()
    finally:
        await first.release(a)
        await second.release(b)


def _free_pair() -> int:
    """The low port of a pair nobody on this machine holds right now (other tests and engines
    run beside this one)."""
    while True:
        low, _ = free_rtp_range()
        try:
            with (
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as a,
                socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as b,
            ):
                a.bind(("0.0.0.0", low))
                b.bind(("0.0.0.0", low + 1))
            return low
        except OSError:
            continue


async def test_a_claimed_port_binds_and_a_released_one_comes_back() -> None:
    low = _free_pair()
    ports = RtpPorts(low, low + 2)
    port, rtcp = await ports.allocate()
    assert (port, rtcp) == (low, low + 1)
    ports.claim(port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stream:
        stream.bind(("127.0.0.1", port))  # what the RTP session does after claim
    await ports.release(port)
    assert await ports.allocate() == (low, low + 1)
    await ports.release(low)


async def test_allocation_moves_on_from_the_last_port() -> None:
    """A port just released is not handed out again while others are free (late packets)."""
    low, _ = free_rtp_range()
    ports = RtpPorts(low, low + 6)
    first, _ = await ports.allocate()
    await ports.release(first)
    second, _ = await ports.allocate()
    await ports.release(second)
    assert second == first + 2
