"""The test phone trusts a job worker's engine by the one port it sends from, only while that
engine runs: once the worker's engine stops, another program that binds the freed port must not
be able to place calls as the platform (ring the test phone's lines, spoof a business's number).
SIPp plays that program, from the very port the worker's engine had."""

from __future__ import annotations

import pytest

from ringfence.telephony import TelephonyEngine
from ringfence.telephony.testphone import TestPhone
from tests.conftest import SettingsFactory
from tests.support.sipp import start_sipp

pytestmark = pytest.mark.integration


async def _invite_from(port: int, phone_port: int) -> int:
    """SIPp's exit status for one INVITE sent from ``port`` that expects 403 (0: refused)."""
    sipp = await start_sipp("uac_refused", remote=f"127.0.0.1:{phone_port}", port=port)
    try:
        rc, _ = await sipp.finish()
    finally:
        await sipp.kill()
    return rc


async def test_a_stopped_workers_port_is_no_longer_trusted(make_settings: SettingsFactory) -> None:
    settings = make_settings(telephony={"sip_host": "127.0.0.1"})
    assert settings.telephony.builtin_test_phone  # the default install: no carrier
    platform = TelephonyEngine(settings, host="127.0.0.1", port=0)
    phone = TestPhone(settings, platform)
    await phone.start()
    await platform.start()
    phone.connect()
    try:
        worker = TelephonyEngine(settings, port=0, outbound_only=True)
        await worker.start()
        given_back = await phone.serve(worker)
        port = worker.local_port
        await worker.stop()
        # The worker's engine stopped and its port is free, but the test phone still trusts
        # it: an INVITE from it passes the gate (SIPp, expecting 403, fails).
        assert await _invite_from(port, phone.engine.local_port) != 0
        await given_back()
        assert await _invite_from(port, phone.engine.local_port) == 0
    finally:
        await platform.stop()
        await phone.stop()
