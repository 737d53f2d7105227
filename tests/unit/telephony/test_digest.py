"""Digest verification (RFC 2617 §3.2.2, qop=auth) against answers computed as a client would."""

from __future__ import annotations

import hashlib

from ringfence.telephony.digest import NONCE_LIFETIME, DigestAuthority, Outcome, parse_params
from ringfence.testing import FakeClock

URI = "sip:+15550100@192.0.2.1:5060"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def answer(challenge: str, *, user: str = "trunk", password: str = "pw", nc: str = "00000001",
           uri: str = URI, method: str = "INVITE") -> str:  # fmt: skip
    params = parse_params(challenge)
    assert params is not None
    ha1 = md5(f"{user}:{params['realm']}:{password}")
    ha2 = md5(f"{method}:{uri}")
    response = md5(f"{ha1}:{params['nonce']}:{nc}:c0ffee:auth:{ha2}")
    return (
        f'Digest username="{user}", realm="{params["realm"]}", nonce="{params["nonce"]}", '
        f'uri="{uri}", response="{response}", algorithm=MD5, qop=auth, nc={nc}, cnonce="c0ffee"'
    )


def verify(authority: DigestAuthority, header: str, uri: str = URI) -> Outcome:
    return authority.verify(header, method="INVITE", uri=uri, passwords={"trunk": "pw"}).outcome


def test_the_right_password_is_admitted_once_per_nonce_count() -> None:
    authority = DigestAuthority(b"key", FakeClock())
    header = answer(authority.challenge())
    assert verify(authority, header) is Outcome.OK
    assert verify(authority, header) is Outcome.BAD  # the same nc again: a replay
    assert verify(authority, header.replace("nc=00000001", "nc=00000002")) is Outcome.BAD


def test_wrong_password_user_uri_or_a_forged_nonce_are_refused() -> None:
    clock = FakeClock()
    authority = DigestAuthority(b"key", clock)
    challenge = authority.challenge()
    assert verify(authority, answer(challenge, password="guess")) is Outcome.BAD
    assert verify(authority, answer(challenge, user="other")) is Outcome.BAD
    assert verify(authority, answer(challenge, uri="sip:x@y"), uri=URI) is Outcome.BAD
    forged = challenge.replace('nonce="', 'nonce="0.')
    assert verify(authority, answer(forged)) is Outcome.BAD
    other = DigestAuthority(b"another key", clock)
    assert verify(authority, answer(other.challenge())) is Outcome.BAD
    assert verify(authority, "Basic dHJ1bms6cHc=") is Outcome.BAD
    assert verify(authority, "Digest " + "x=y, " * 1000) is Outcome.BAD


def test_an_expired_nonce_is_stale() -> None:
    clock = FakeClock()
    authority = DigestAuthority(b"key", clock)
    header = answer(authority.challenge())
    clock.advance(seconds=NONCE_LIFETIME + 1)
    assert verify(authority, header) is Outcome.STALE
    assert "stale=true" in authority.challenge(stale=True)
