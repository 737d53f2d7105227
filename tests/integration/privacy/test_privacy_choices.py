"""``/privacy/choices`` on a real server: refused without its form's token, Global Privacy
Control kept, a withdrawn consent's cookies expired in the same answer (on the path they were
set on), and the CPRA limit recorded for the number as its keyed reference, never the number."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ringfence.clock import SystemClock
from ringfence.privacy.consent import SENSITIVE_USE, Consents
from ringfence.privacy.models import ConsentRecord
from ringfence.privacy.subjects import phone_ref
from ringfence.store import Database
from tests.support.server import running_server

pytestmark = pytest.mark.integration

NUMBER = "+442079460018"


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def _expired(response: httpx.Response) -> dict[str, str]:
    """name -> the Set-Cookie line of each cookie the response deletes."""
    lines = response.headers.get_list("set-cookie")
    return {
        line.split("=", 1)[0]: line
        for line in lines
        if "Max-Age=0" in line or "expires=Thu, 01 Jan 1970" in line
    }


async def test_choices_are_kept_withdrawn_with_their_cookies_and_limits_recorded(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    with running_server(data) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            page = await client.get("/privacy/choices")
            assert page.status_code == 200 and "Limit the use of my sensitive" in page.text
            token = _csrf(page)
            forged = await client.post("/privacy/choices", data={"csrf": "x", "preferences": "1"})
            assert forged.status_code == 403

            given = await client.post("/privacy/choices", data={"csrf": token, "preferences": "1"})
            assert given.status_code == 303
            assert client.cookies["rf_consent"] == "preferences:1.sale_sharing:0"

            # The pages set these under that consent; withdrawing it deletes them at once.
            client.cookies.set("rf_numbers_region", "SE")
            client.cookies.set("rf_ring_number", "+12015550123", path="/ring")
            withdrawn = await client.post("/privacy/choices", data={"csrf": token})
            gone = _expired(withdrawn)
            assert set(gone) == {"rf_numbers_region", "rf_ring_number"}, gone
            assert "Path=/ring" in gone["rf_ring_number"] and "Path=/" in gone["rf_numbers_region"]
            assert client.cookies["rf_consent"] == "preferences:0.sale_sharing:0"

            # Global Privacy Control: optional cookies stay off whatever the form says.
            gpc = await client.post(
                "/privacy/choices",
                data={"csrf": token, "preferences": "1"},
                headers={"Sec-GPC": "1"},
            )
            assert gpc.status_code == 303
            assert client.cookies["rf_consent"] == "preferences:0.sale_sharing:0"

            # The banner's decline (JSON) deletes them too.
            client.cookies.set("rf_numbers_region", "DE")
            declined = await client.post(
                "/privacy/consent", json={"choices": {"preferences": False}, "method": "banner"}
            )
            assert declined.status_code == 200 and "rf_numbers_region" in _expired(declined)

            bad = await client.post(
                "/privacy/choices", data={"csrf": token, "limit_sensitive": "1", "phone": "12"}
            )
            assert bad.status_code == 422 and 'id="phone-error"' in bad.text
            assert 'value="12"' in bad.text
            limited = await client.post(
                "/privacy/choices",
                data={"csrf": token, "limit_sensitive": "1", "phone": "+44 20 7946 0018"},
            )
            assert limited.status_code == 303
            again = await client.get("/privacy/choices")
            assert re.search(r'name="limit_sensitive" value="1" checked', again.text)

    db = Database(f"sqlite+aiosqlite:///{data / 'ringfence.db'}")
    try:
        key = (data / "secret_key").read_text().strip().encode()
        ref = phone_ref(NUMBER, key)
        async with db.session() as session:
            assert await Consents(SystemClock()).limited(session, [ref])
            rows = (await session.scalars(select(ConsentRecord))).all()
        assert not [r for r in rows if "7946" in r.subject_ref]  # the number itself: nowhere
        assert {r.purpose for r in rows if r.subject_ref == ref} == {SENSITIVE_USE}
        gpc_rows = [r for r in rows if r.method == "gpc" and r.purpose == "preferences"]
        assert gpc_rows and not any(r.granted for r in gpc_rows)
    finally:
        await db.dispose()
