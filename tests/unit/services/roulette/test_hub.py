"""The hub's in-process rate windows: limits per key, and nothing kept of keys gone quiet."""

from __future__ import annotations

import time

import pytest

from ringfence.services.roulette import hub
from ringfence.services.roulette.hub import Windows


def test_a_key_is_limited_within_the_window() -> None:
    windows = Windows()
    assert windows.allow("join:a", 2) and windows.allow("join:a", 2)
    assert not windows.allow("join:a", 2)
    assert windows.allow("join:b", 2)  # another key: its own count


def test_addresses_gone_quiet_are_swept(monkeypatch: pytest.MonkeyPatch) -> None:
    windows = Windows()
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    for i in range(Windows.SWEEP_EVERY - 1):
        windows.allow(f"join:address-{i}", 5)
    assert len(windows) == Windows.SWEEP_EVERY - 1
    now[0] += hub.WINDOW + 1  # a window later, one more hit sweeps the quiet ones
    assert windows.allow("join:fresh", 5)
    assert len(windows) == 1
    windows.drop("join:fresh")
    assert len(windows) == 0
