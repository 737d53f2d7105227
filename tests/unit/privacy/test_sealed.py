"""Sealed tokens: unreadable and unalterable by the browser that carries them."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from ringfence.errors import Forbidden, InvalidInput
from ringfence.privacy.sealed import seal, unseal

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
KEY = b"k" * 32


def test_round_trip_and_refusals() -> None:
    token = seal({"e164": "+442079460958"}, key=KEY, purpose="a", expires=NOW.replace(hour=13))
    assert "2079460958" not in base64.urlsafe_b64decode(token + "==").decode(errors="replace")
    assert unseal(token, key=KEY, purpose="a", now=NOW)["e164"] == "+442079460958"
    with pytest.raises(Forbidden, match="not valid"):
        unseal(token, key=KEY, purpose="b", now=NOW)  # another purpose
    with pytest.raises(Forbidden, match="not valid"):
        unseal(token, key=b"x" * 32, purpose="a", now=NOW)
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    with pytest.raises(Forbidden, match="not valid"):
        unseal(flipped, key=KEY, purpose="a", now=NOW)
    with pytest.raises(Forbidden, match="expired"):
        unseal(token, key=KEY, purpose="a", now=NOW.replace(hour=14))
    with pytest.raises(InvalidInput):
        unseal("", key=KEY, purpose="a", now=NOW)
