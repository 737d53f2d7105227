"""The test phone's lines: one per browser, its number kept across reloads, and the limits."""

from __future__ import annotations

import random
from typing import Any

import pytest

from ringfence.errors import RateLimited, ServiceUnavailable
from ringfence.settings import TestPhoneSettings as PhoneSettings
from ringfence.telephony.fiction import PLATFORM_NUMBER, is_test_phone_number
from ringfence.telephony.lines import Lines


async def notify(message: dict[str, Any]) -> None:
    return None


def lines(total: int = 50, per_ip: int = 5) -> Lines:
    return Lines(PhoneSettings(lines=total, lines_per_ip=per_ip), random.Random(7))


def test_each_browser_has_its_own_number_and_gets_it_back() -> None:
    phones = lines()
    first, replaced = phones.register("browser-a", "192.0.2.1", notify)
    assert replaced is None and is_test_phone_number(first.number)
    other, _ = phones.register("browser-b", "192.0.2.1", notify)
    assert other.number != first.number
    assert phones.get(first.number) is first and len(phones) == 2
    assert phones.release(first) and phones.get(first.number) is None
    assert not phones.release(first)  # once
    again, _ = phones.register("browser-a", "192.0.2.1", notify)  # a reload
    assert again.number == first.number and again is not first


def test_another_tab_of_the_same_browser_takes_the_line_over() -> None:
    phones = lines(total=1)
    first, _ = phones.register("browser-a", "192.0.2.1", notify)
    second, replaced = phones.register("browser-a", "192.0.2.1", notify)  # within the limit
    assert replaced is first and second.number == first.number
    assert phones.get(first.number) is second
    assert not phones.release(first)  # the old tab closing frees nothing
    assert phones.get(second.number) is second


def test_a_new_browser_is_not_given_a_number_another_had_recently() -> None:
    phones = lines(total=999)
    kept = []
    for i in range(500):
        line, _ = phones.register(f"browser-{i}", f"192.0.2.{i % 200}", notify)
        phones.release(line)
        kept.append(line.number)
    assert len(set(kept)) == 500  # each browser a number none had before


def test_no_browser_is_given_the_servers_own_caller_id() -> None:
    phones = lines(total=999, per_ip=999)
    numbers = {phones.register(f"b-{i}", "192.0.2.1", notify)[0].number for i in range(999)}
    assert len(numbers) == 999 and PLATFORM_NUMBER not in numbers
    assert is_test_phone_number(PLATFORM_NUMBER)


def test_the_limits_of_lines_open_at_once() -> None:
    phones = lines(total=3, per_ip=2)
    phones.register("a", "192.0.2.1", notify)
    phones.register("b", "192.0.2.1", notify)
    with pytest.raises(RateLimited, match="2 test phones are open from your network"):
        phones.register("c", "192.0.2.1", notify)
    phones.register("c", "198.51.100.1", notify)
    with pytest.raises(ServiceUnavailable, match="all 3 test phones"):
        phones.register("d", "198.51.100.2", notify)
