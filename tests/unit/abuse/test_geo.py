from __future__ import annotations

from typing import Any

import pytest

from ringfence.abuse.geo import client_ip


def _scope(peer: str | None, *forwarded: str) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"type": "http", "client": (peer, 5000) if peer else None, "headers": headers}


@pytest.mark.parametrize(
    ("scope", "trusted", "expected"),
    [
        (_scope("127.0.0.1", "203.0.113.9"), [], "127.0.0.1"),  # no proxies: never the header
        (_scope("127.0.0.2", "203.0.113.9"), ["127.0.0.1"], "127.0.0.2"),
        (_scope("127.0.0.1", "203.0.113.9"), ["127.0.0.1"], "203.0.113.9"),
        (_scope("10.1.2.3", "198.51.100.1, 203.0.113.9"), ["10.0.0.0/8"], "203.0.113.9"),
        (_scope("10.1.2.3", "203.0.113.9", "10.4.4.4"), ["10.0.0.0/8"], "203.0.113.9"),
        (_scope("127.0.0.1", "not-an-ip"), ["127.0.0.1"], "127.0.0.1"),
        (_scope(None), [], "0.0.0.0"),
    ],
)
def test_the_client_is_the_peer_or_what_a_trusted_proxy_forwarded_for(
    scope: dict[str, Any], trusted: list[str], expected: str
) -> None:
    assert client_ip(scope, trusted) == expected
