"""The SDP check (RFC 4566 c= and m= lines) on good, bad and arbitrary bodies."""

from __future__ import annotations

import pytest
from aiosipua import parse_sdp
from hypothesis import given
from hypothesis import strategies as st

from ringfence.telephony._sip.gated_uas import checked_sdp_problem
from ringfence.telephony.sdp_check import MAX_SDP_BYTES, sdp_problem


def offer(connection: str = "c=IN IP4 192.0.2.10", media: str = "m=audio 4000 RTP/AVP 0") -> str:
    return f"v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\n{connection}\r\nt=0 0\r\n{media}\r\n"


@pytest.mark.parametrize(
    "body",
    [
        offer(),
        offer("c=IN IP4 0.0.0.0"),  # RFC 2543 hold
        "v=0\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n",
        offer(media="m=audio 4000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96"),
    ],
)
def test_an_acceptable_offer(body: str) -> None:
    assert checked_sdp_problem(body) is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (offer("c=IN IP4 media.example.com"), "does not name an IPv4 address"),
        (offer("c=IN IP4 2001:db8::1"), "does not name an IPv4 address"),
        (offer("c=IN IP6 192.0.2.1"), "does not name an IPv6 address"),
        (offer("c=IN IP6 fe80::1%eth0"), "zone index"),
        (offer("c=IN IP4 224.2.1.1/127"), "does not name an IPv4 address"),
        (offer("c=IN IP4 239.1.1.1"), "multicast"),
        (offer("c=IN IP4 255.255.255.255"), "broadcast"),
        (offer("c=IN IP4 010.0.0.1"), "does not name an IPv4 address"),
        (offer("c=IN IP4"), "is not 'IN IP4|IP6"),
        (offer("c=ATM NSAP 47.0005"), "is not 'IN IP4|IP6"),
        (offer("c=IN IPX 1.2.3.4"), "neither IP4 nor IP6"),
        (offer(media="m=audio notaport RTP/AVP 0"), "not a port number"),
        (offer(media="m=audio 99999 RTP/AVP 0"), "not a port number"),
        (offer(media="m=audio 4000"), "needs a media type"),
        (offer(media="m=video 4000 RTP/AVP 96"), "no audio stream"),
        (offer(media="m=audio 0 RTP/AVP 0"), "disabled"),
        ("v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n", "no m= line"),
        ("v=0\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", "no c= connection address"),
        ("", "does not start with v=0"),
        ("\x00\xff garbage", "does not start with v=0"),
        ("v=0\r\nthis is not sdp\r\n", "not <type>=<value>"),
        (offer() + "a=" + "x" * MAX_SDP_BYTES, "too large"),
    ],
)
def test_a_refused_body_says_why(body: str, problem: str) -> None:
    found = sdp_problem(body)
    assert found is not None and problem in found


def test_ipv6_media_only_when_the_engine_can_send_it() -> None:
    assert sdp_problem(offer("c=IN IP6 2001:db8::1")) == "IPv6 media is not supported here"
    assert sdp_problem(offer("c=IN IP6 2001:db8::1"), ip6=True) is None


def test_a_body_the_library_cannot_parse_is_refused_not_raised() -> None:
    # Our check lets it by (the a= line is free text to us); aiosipua's codec table would not.
    body = offer(media="m=audio 4000 RTP/AVP 0\r\na=rtpmap:abc PCMU/8000")
    assert sdp_problem(body) is None
    assert checked_sdp_problem(body) == "SDP the parser cannot read"


_line = st.one_of(
    st.text(max_size=60),
    st.builds(
        "c=IN {} {}".format,
        st.sampled_from(["IP4", "IP6", "ip4", "X"]),
        st.one_of(st.ip_addresses().map(str), st.text(max_size=30), st.from_regex(r"[a-z.]{1,20}")),
    ),
    st.builds(
        "m={} {} {} {}".format,
        st.sampled_from(["audio", "video", ""]),
        st.one_of(st.integers(-5, 70000).map(str), st.text(max_size=6)),
        st.sampled_from(["RTP/AVP", "", "x"]),
        st.text(max_size=10),
    ),
    st.builds("a=rtpmap:{} {}".format, st.text(max_size=5), st.text(max_size=15)),
)


@given(st.lists(_line, max_size=12).map(lambda lines: "\r\n".join(["v=0", *lines])))
def test_no_body_raises(body: str) -> None:
    """Whatever arrives, the check (and the library parser behind it) answers, never raises;
    what it accepts names an IP literal the library reads back."""
    if checked_sdp_problem(body) is None:
        address = parse_sdp(body).rtp_address
        assert address is not None
        assert address[0].replace(".", "").isdigit() or ":" in address[0]
