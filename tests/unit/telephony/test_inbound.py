"""The inbound admission gate: trusted networks, the per-source limit, digest challenges."""

from __future__ import annotations

from pathlib import Path

from ringfence.ip_tags import IpTags
from ringfence.telephony._sip import InboundRequest, Refusal
from ringfence.telephony.inbound import InboundGate, SourceLimiter, TrustedTrunk, networks
from ringfence.testing import FakeClock


def invite(source: str, call_id: str = "a", method: str = "INVITE") -> InboundRequest:
    return InboundRequest(method, (source, 5060), "sip:+15550100@192.0.2.1", call_id, None)


def gate(
    clock: FakeClock, logs: Path, *, per_minute: int = 20, password: str | None = None
) -> InboundGate:
    trunk = TrustedTrunk(
        "carrier", networks(["192.0.2.0/24", "2001:db8::/32"]), "trunk" if password else None,
        password,
    )  # fmt: skip
    tags = IpTags(logs, clock)
    return InboundGate([trunk], per_minute=per_minute, key=b"k", clock=clock, tags=tags)


def test_trusted_networks_are_admitted_and_others_refused_403(tmp_path: Path) -> None:
    admit = gate(FakeClock(), tmp_path)
    assert admit(invite("192.0.2.77")) == "carrier"
    assert admit(invite("::ffff:192.0.2.77")) == "carrier"  # a v4-mapped source
    assert admit(invite("2001:db8::5")) == "carrier"
    for source in ("198.51.100.1", "not-an-ip"):
        refusal = admit(invite(source))
        assert isinstance(refusal, Refusal) and refusal.status == 403
    refusal = admit(invite("198.51.100.1", method="OPTIONS"))
    assert isinstance(refusal, Refusal) and refusal.status == 403
    assert admit.refused == {"untrusted_source": 3}


def test_with_inbound_credentials_an_unknown_source_is_challenged(tmp_path: Path) -> None:
    admit = gate(FakeClock(), tmp_path, password="pw")
    refusal = admit(invite("198.51.100.1"))
    assert isinstance(refusal, Refusal) and refusal.status == 407
    assert 'qop="auth"' in refusal.headers["Proxy-Authenticate"]
    bad = InboundRequest("INVITE", ("198.51.100.1", 1), "sip:x", "a", "Digest username=x")
    refusal = admit(bad)
    assert isinstance(refusal, Refusal) and refusal.status == 403


def test_the_limit_counts_new_call_ids_per_source_in_a_sliding_minute() -> None:
    clock = FakeClock()
    limiter = SourceLimiter(3, clock)
    assert [limiter.wait("192.0.2.1", str(i)) for i in range(3)] == [None, None, None]
    assert limiter.wait("192.0.2.1", "0") is None  # a retransmission or digest retry
    assert limiter.wait("192.0.2.1", "new") == 60.0
    assert limiter.wait("192.0.2.2", "new") is None  # another source has its own count
    clock.advance(seconds=30)
    assert limiter.wait("192.0.2.1", "new") == 30.0
    clock.advance(seconds=30)
    assert limiter.wait("192.0.2.1", "new") is None


def test_over_the_limit_is_503_with_retry_after_even_for_a_trusted_source(tmp_path: Path) -> None:
    admit = gate(FakeClock(), tmp_path, per_minute=2)
    assert admit(invite("192.0.2.1", "1")) == admit(invite("192.0.2.1", "2")) == "carrier"
    refusal = admit(invite("192.0.2.1", "3"))
    assert isinstance(refusal, Refusal) and refusal.status == 503
    assert refusal.headers == {"Retry-After": "60"}
    assert admit.refused == {"rate_limited": 1}


def test_a_built_in_trunk_is_taken_only_from_its_own_port(tmp_path: Path) -> None:
    clock = FakeClock()
    admit = InboundGate([], per_minute=2, key=b"k", clock=clock, tags=IpTags(tmp_path, clock))
    admit.trust(TrustedTrunk("test-phone", networks(["127.0.0.1/32"]), port=41000))
    uri = "sip:+441134960001@127.0.0.1"
    for call_id in range(5):  # its calls were limited where they started: not counted here
        own = InboundRequest("INVITE", ("127.0.0.1", 41000), uri, str(call_id), None)
        assert admit(own) == "test-phone"
    other = InboundRequest("INVITE", ("127.0.0.1", 41001), uri, "b", None)
    refusal = admit(other)  # another program on the same machine
    assert isinstance(refusal, Refusal) and refusal.status == 403
