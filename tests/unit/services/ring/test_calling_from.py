"""Which number a ring comes from, as the page says it, and how long a ring rings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pydantic import ValidationError

from ringfence.services.ring.service import RingService
from ringfence.settings import CarrierSettings, RingSettings, Settings
from ringfence.store.database import Database
from ringfence.telephony import TelephonyEngine
from ringfence.telephony.dialing import parse
from ringfence.testing import FakeClock


@dataclass
class Trunks:
    """Stands for the engine where ring only reads its carriers."""

    carriers: list[CarrierSettings] = field(default_factory=list)
    running: bool = True


def _service(tmp_path: Path, trunks: Trunks | None, **ring: float) -> RingService:
    settings = Settings(data_dir=tmp_path, ring=RingSettings(**ring))

    def current() -> TelephonyEngine | None:
        return trunks  # type: ignore[return-value]  # only .carriers and .running are read

    return RingService(settings, Database("sqlite+aiosqlite://"), FakeClock(), current)


def _trunk(name: str, caller_id: str | None, prefixes: list[str] | None = None) -> CarrierSettings:
    return CarrierSettings(
        name=name, host="192.0.2.1", port=5060, caller_id=caller_id, prefixes=prefixes or []
    )


def test_the_number_is_the_caller_id_of_the_trunk_that_carries_the_call(tmp_path: Path) -> None:
    trunks = Trunks([_trunk("uk", "+442079460123", ["44"]), _trunk("us", "12015550100", ["1"])])
    rings = _service(tmp_path, trunks)
    assert rings.calling_from(parse("020 7946 0958", "GB")) == "+44 20 7946 0123"
    # Not E.164: said as configured, since the engine presents it so.
    assert rings.calling_from(parse("+1 201 555 0123", None)) == "12015550100"
    assert rings.calling_from(parse("+33 1 23 45 67 89", None)) is None  # no trunk carries it
    assert rings.calling_from() is None and rings.caller_id_differs()  # the number decides


def test_one_shared_caller_id_is_said_before_a_number_is_typed(tmp_path: Path) -> None:
    shared = _service(tmp_path, Trunks([_trunk("a", "+442079460123")]))
    assert shared.calling_from() == "+44 20 7946 0123" and not shared.caller_id_differs()
    withheld = _service(tmp_path, Trunks([_trunk("a", None)]))
    assert withheld.calling_from() is None and not withheld.caller_id_differs()
    named = _service(tmp_path, Trunks([_trunk("a", "ringfence")]))
    assert named.calling_from() == "ringfence"  # not a number: as the engine presents it
    assert _service(tmp_path, None).calling_from() is None


def test_ring_until_pickup_rings_up_to_the_operators_cap(tmp_path: Path) -> None:
    rings = _service(tmp_path, Trunks(), ring_time=25, until_pickup_max=60)
    assert rings.ring_time(until_pickup=False) == 25
    assert rings.ring_time(until_pickup=True) == 60
    shorter = _service(tmp_path, Trunks(), ring_time=30, until_pickup_max=10)
    assert shorter.ring_time(until_pickup=True) == 30  # never less than a normal ring
    assert RingSettings().until_pickup_max == 60
    with pytest.raises(ValidationError):
        RingSettings(until_pickup_max=121)  # capped: a ring never rings for minutes
