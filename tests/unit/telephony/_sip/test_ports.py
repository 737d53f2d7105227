"""RTP ports stay held by this process from the SDP offer until the call ends, and the stream
runs on the very sockets that hold them."""

from __future__ import annotations

import socket
import threading

import pytest

from ringfence.telephony._sip.ports import NoRtpPort, RtpPorts, shared
from tests.support.sipp import free_rtp_range

HOST = "127.0.0.1"


def _free_pairs(count: int) -> int:
    """The low port of ``count`` pairs nobody on this machine holds right now (other tests
    and engines run beside this one)."""
    while True:
        low, _ = free_rtp_range()
        socks: list[socket.socket] = []
        try:
            for port in range(low, low + 2 * count):
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(sock)
                sock.bind(("0.0.0.0", port))
            return low
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()


def test_two_allocators_on_one_range_never_share_a_port() -> None:
    """Two allocators (in two processes, say) on one range: the kernel keeps them apart."""
    low = _free_pairs(2)
    first, second = RtpPorts(low, low + 4), RtpPorts(low, low + 4)
    a = first.allocate(HOST)
    b = second.allocate(HOST)
    try:
        assert a != b
        with pytest.raises(NoRtpPort, match="no free RTP port"):
            second.allocate(HOST)
    finally:
        first.release(a)
        second.release(b)


def test_a_port_held_by_anyone_else_is_skipped() -> None:
    low = _free_pairs(2)
    ports = RtpPorts(low, low + 4)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as outsider:
        outsider.bind((HOST, low + 1))  # only the RTCP half of the first pair
        port = ports.allocate(HOST)
        assert port == low + 2
        ports.release(port)


def test_the_stream_gets_the_held_port_and_it_stays_held_until_released() -> None:
    low = _free_pairs(1)
    ports = RtpPorts(low, low + 2)
    port = ports.allocate(HOST)
    rtp, rtcp = ports.sockets(port)
    assert (rtp.getsockname(), rtcp.getsockname()) == ((HOST, port), (HOST, port + 1))
    rtp.close()
    rtcp.close()  # an early-media stream ends: the port is still ours
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other, pytest.raises(OSError):
        other.bind((HOST, port))
    ports.release(port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
        other.bind((HOST, port))  # released: free for anyone


def test_a_new_stream_does_not_read_what_was_sent_to_the_last() -> None:
    low = _free_pairs(1)
    ports = RtpPorts(low, low + 2)
    port = ports.allocate(HOST)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as early:
        early.sendto(b"late early media", (HOST, port))
        rtp, rtcp = ports.sockets(port)
    rtp.setblocking(False)
    with pytest.raises(BlockingIOError):
        rtp.recv(2048)
    rtp.close()
    rtcp.close()
    ports.release(port)


def test_allocation_moves_on_from_the_last_port() -> None:
    """A port just released is not handed out again while others are free (late packets)."""
    low = _free_pairs(3)
    ports = RtpPorts(low, low + 6)
    first = ports.allocate(HOST)
    ports.release(first)
    second = ports.allocate(HOST)
    ports.release(second)
    assert second == first + 2


def test_one_allocator_per_range_in_a_process() -> None:
    low, high = free_rtp_range()
    assert shared(low, high) is shared(low, high)
    assert shared(low, high) is not shared(low, high + 2)


def test_threads_sharing_the_allocator_never_get_one_port_twice() -> None:
    low = _free_pairs(16)
    ports = RtpPorts(low, low + 32)
    got: list[int] = []
    start = threading.Barrier(4)

    def take() -> None:
        start.wait()
        for _ in range(4):
            got.append(ports.allocate(HOST))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(got) == list(range(low, low + 32, 2))
    finally:
        for port in got:
            ports.release(port)


def test_an_ipv6_host_gets_ipv6_sockets() -> None:
    low = _free_pairs(1)
    ports = RtpPorts(low, low + 2)
    try:
        port = ports.allocate("::1")
    except NoRtpPort:
        pytest.skip("no IPv6 loopback here")
    rtp, rtcp = ports.sockets(port)
    assert (rtp.family, rtp.getsockname()[:2]) == (socket.AF_INET6, ("::1", port))
    rtp.close()
    rtcp.close()
    ports.release(port)
