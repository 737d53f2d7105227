"""Client tags for logs: one per address a day, another the next day, the day's key shared by
every process on the data dir and the earlier days' keys deleted."""

from __future__ import annotations

from pathlib import Path

from ringfence.ip_tags import PREFIX, IpTags
from ringfence.testing import FakeClock


def test_an_address_has_one_tag_a_day_and_the_old_key_is_gone(tmp_path: Path) -> None:
    clock = FakeClock()
    tags = IpTags(tmp_path, clock)
    first = tags.tag("203.0.113.7:5060")
    assert first == tags.tag("203.0.113.7") and first.startswith("ip:")
    assert tags.tag("203.0.113.8") != first
    assert tags.describe("203.0.113.7:5060") == {"client": first, "network": "203.0.113.0"}
    assert "203.0.113.7" not in first
    # Another process on the same data dir the same day: the same key, the same tag.
    assert IpTags(tmp_path, clock).tag("203.0.113.7") == first
    (kept,) = tmp_path.glob(f"{PREFIX}*")
    assert kept.stat().st_mode & 0o777 == 0o600
    clock.advance(days=1)
    assert tags.tag("203.0.113.7") != first
    (today,) = tmp_path.glob(f"{PREFIX}*")
    assert today.name != kept.name and not kept.exists()
    assert [p for p in tmp_path.iterdir() if not p.name.startswith(PREFIX)] == []


def test_ipv6_with_a_port_is_tagged_by_its_address(tmp_path: Path) -> None:
    tags = IpTags(tmp_path, FakeClock())
    assert tags.tag("[2001:db8::5]:5060") == tags.tag("2001:db8::5")
