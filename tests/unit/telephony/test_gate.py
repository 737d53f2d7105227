"""The outbound gate: its checks in order (policy, the caller's right, the limits, the caller-ID
rule), and that nothing in ``src/`` but the gate reaches the engine's placing method.

The engine here is real but not started: a call the gate lets through fails at the engine with
ServiceUnavailable ("not running"), which is how these tests see that it got that far."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from phonenumbers import PhoneNumberType

from ringfence.errors import Forbidden, RateLimited, ServiceUnavailable
from ringfence.settings import CarrierSettings
from ringfence.store import Database
from ringfence.telephony import TelephonyEngine
from ringfence.telephony.dialing import Number, parse
from ringfence.telephony.fiction import PREFIX
from ringfence.telephony.gate import AnyNumber, Caller, OutboundGate
from ringfence.testing.clock import FakeClock
from tests.conftest import SettingsFactory

SRC = Path(__file__).resolve().parents[3] / "src" / "ringfence"
PLACING = {"_place_call", "place_call"}
TRUNK_ID = "+442079460000"


class Asked:
    """A right that remembers whether it was asked, refuses one number, and has verified one."""

    def __init__(self, refuse: str | None = None, verified: str | None = None) -> None:
        self.asked: list[str] = []
        self.refuse = refuse
        self.own = verified

    async def permit(self, number: Number) -> None:
        self.asked.append(number.e164)
        if number.e164 == self.refuse:
            raise Forbidden("not this caller's to call")

    async def verified(self, e164: str) -> bool:
        return e164 == self.own


@pytest.fixture
def gate(make_settings: SettingsFactory, db: Database) -> OutboundGate:
    settings = make_settings(
        secret_key="k" * 32,
        telephony={
            "outbound": {"calls_per_account_per_hour": 2, "calls_per_tenant_per_hour": 1},
            "carriers": [{"name": "t", "host": "127.0.0.1", "port": 5999, "caller_id": TRUNK_ID}],
        },
    )
    return OutboundGate(TelephonyEngine(settings), db, FakeClock(), settings)


async def test_the_dialling_policy_refuses_before_the_right_is_asked(gate: OutboundGate) -> None:
    right = Asked()
    for raw in ("+19005550123", "+5372345678"):  # premium rate; Cuba (revenue-share fraud)
        with pytest.raises(Forbidden):
            await gate.place(parse(raw, None), Caller("test", account="a"), right)
    fixed = parse("+442079460123", None)  # a service's kinds of number narrow it further
    with pytest.raises(Forbidden, match="phones only, and that is a fixed line"):
        await gate.place(fixed, Caller("test"), right, kinds={PhoneNumberType.MOBILE})
    assert right.asked == []


async def test_a_refused_right_is_not_counted_and_the_limit_then_holds(gate: OutboundGate) -> None:
    number = parse("+442079460123", None)
    right = Asked(refuse=number.e164)
    with pytest.raises(Forbidden, match="not this caller's"):
        await gate.place(number, Caller("test", account="a"), right)
    allowed = AnyNumber()
    for _ in range(2):  # the account's two calls an hour reach the engine (not running)
        with pytest.raises(ServiceUnavailable):
            await gate.place(number, Caller("test", account="a"), allowed)
    with pytest.raises(RateLimited, match="2 calls an hour from one account"):
        await gate.place(number, Caller("test", account="a"), allowed)
    with pytest.raises(ServiceUnavailable):  # another account is counted on its own
        await gate.place(number, Caller("test", account="b"), allowed)


async def test_a_business_is_counted_on_its_own_limit(gate: OutboundGate) -> None:
    number = parse("+442079460123", None)
    with pytest.raises(ServiceUnavailable):
        await gate.place(number, Caller("test", tenant="t1"), AnyNumber())
    with pytest.raises(RateLimited, match="one business"):
        await gate.place(number, Caller("test", tenant="t1"), AnyNumber())


async def test_only_owned_or_verified_numbers_are_shown(gate: OutboundGate) -> None:
    right = Asked(verified="+442079460999")
    assert await gate.caller_id(None, right) is None
    assert await gate.caller_id("+442079460999", right) == "+442079460999"
    assert await gate.caller_id(TRUNK_ID, right) == TRUNK_ID  # the platform's own
    # Anyone else's number (an inbound caller's From above all) gives way to the trunk's.
    assert await gate.caller_id("+14155550123", right) is None
    assert await gate.caller_id("not a number", right) is None


def _reaches_the_engine(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        name = None
        if isinstance(node, ast.Attribute) and node.attr in PLACING:
            name = node.attr
        elif isinstance(node, ast.Name) and node.id in PLACING:
            name = node.id
        elif isinstance(node, ast.Constant) and node.value in PLACING:
            name = str(node.value)  # getattr(engine, "_place_call")
        if name is not None:
            found.append(f"{path.relative_to(SRC)}:{getattr(node, 'lineno', 0)} {name}")
    return found


def test_nothing_but_the_gate_reaches_the_engines_placing_method() -> None:
    allowed = {SRC / "telephony" / "gate.py"}
    reaching = [
        hit
        for path in sorted(SRC.rglob("*.py"))
        if path not in allowed
        for hit in _reaches_the_engine(path)
    ]
    assert reaching == [], "place calls through telephony.gate.OutboundGate: " + ", ".join(reaching)
    # The engine defines it; the definition is not a use.
    engine = ast.parse((SRC / "telephony" / "engine.py").read_text())
    defined = [n.name for n in ast.walk(engine) if isinstance(n, ast.AsyncFunctionDef)]
    assert "_place_call" in defined and "place_call" not in defined


def _test_phone_carrier() -> CarrierSettings:
    return CarrierSettings(name="test-phone", host="127.0.0.1", port=5998, prefixes=[PREFIX])


async def test_while_the_test_phone_is_the_carrier_only_its_numbers_are_called(
    make_settings: SettingsFactory, db: Database
) -> None:
    settings = make_settings(secret_key="k" * 32)
    engine = TelephonyEngine(settings)
    engine.add_builtin(_test_phone_carrier(), source_port=5998)
    gate = OutboundGate(engine, db, FakeClock(), settings)
    with pytest.raises(ServiceUnavailable, match="not running"):  # allowed: reaches the engine
        await gate.place(parse("+441134960123", None), Caller("test"), AnyNumber())
    with pytest.raises(ServiceUnavailable, match="only test phones can be called"):
        await gate.place(parse("+442079460123", None), Caller("test"), AnyNumber())


async def test_a_test_phones_number_never_reaches_a_configured_carrier(
    gate: OutboundGate, make_settings: SettingsFactory, db: Database
) -> None:
    right = Asked()
    with pytest.raises(Forbidden, match="never sent to a phone carrier"):
        await gate.place(parse("+441134960123", None), Caller("test"), right)
    assert right.asked == []  # refused with the policy, before anything is asked
    # Beside a configured trunk that carries everything, a built-in one does not change that
    # for numbers it does not carry.
    settings = make_settings(
        secret_key="k" * 32, telephony={"carriers": [{"name": "t", "host": "127.0.0.1"}]}
    )
    engine = TelephonyEngine(settings)
    engine.add_builtin(
        CarrierSettings(name="elsewhere", host="127.0.0.1", port=5997, prefixes=["33"]),
        source_port=5997,
    )
    both = OutboundGate(engine, db, FakeClock(), settings)
    with pytest.raises(Forbidden, match="never sent to a phone carrier"):
        await both.place(parse("+441134960123", None), Caller("test"), right)
