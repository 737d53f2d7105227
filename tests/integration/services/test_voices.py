"""Custom voices only with signed consent: the speaker signs on their own page (nobody else
can), no sample before that, the voice made and spoken by the hosted provider (a local
stand-in), the sample cleared 30 days after, withdrawal deleting the voice at the provider at
once, and an erasure request doing the same before the rows go."""

from __future__ import annotations

import datetime as dt
import io
import re
import wave

import httpx
import numpy as np
import pytest
from sqlalchemy import select

from ringfence.errors import ServiceUnavailable
from ringfence.privacy.core import Privacy
from ringfence.privacy.models import AuditEntry
from ringfence.services.agents.models import CustomVoice
from ringfence.services.agents.voices.service import Voices
from ringfence.store import Database
from ringfence.tenants.scoping import tenant_session
from ringfence.testing.clock import FakeClock
from tests.conftest import SettingsFactory
from tests.support.accounts import account_of, site, verified_login
from tests.support.voice_provider import voice_provider

pytestmark = pytest.mark.integration

SPEAKER = "sam@example.org"
SCOPE = "the receptionist and reminder calls of Harbour Dental"


def _wav(seconds: float) -> bytes:
    t = np.arange(int(8000 * seconds)) / 8000
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        writer.writeframes((np.sin(2 * np.pi * 220 * t) * 5000).astype("<i2").tobytes())
    return out.getvalue()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def _sign(speaker: httpx.AsyncClient, url: str, name: str, **extra: str) -> httpx.Response:
    page = await speaker.get(url)
    form = {"csrf": _csrf(page.text), "full_name": name, "signature": name, "agree": "yes"}
    return await speaker.post(url, data={**form, **extra})


async def test_a_voice_is_made_only_with_its_speakers_signed_consent(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with (
        voice_provider() as (provider_url, provider),
        site(make_settings, database_url, agents={"voice_clone_url": provider_url}) as (
            owner, inbox, settings,
        ),
    ):  # fmt: skip
        csrf = {"X-CSRF-Token": await verified_login(owner, inbox, "owner@example.org")}
        speaker = httpx.AsyncClient(transport=owner._transport, base_url="http://testserver")
        await verified_login(speaker, inbox, SPEAKER)
        tenant = (await owner.post("/api/tenants", json={"name": "Harbour Dental"},
                                   headers=csrf)).json()["id"]  # fmt: skip
        base = f"/api/tenants/{tenant}/voices"
        asked = await owner.post(
            base, headers=csrf, json={"name": "Sam", "scope": SCOPE, "speaker_email": SPEAKER}
        )
        assert asked.status_code == 201, asked.text
        voice, url = asked.json()["id"], asked.json()["signing_url"]

        # Nothing before the speaker signs; nobody but the speaker may sign.
        early = await owner.put(f"{base}/{voice}/sample", content=_wav(12), headers=csrf)
        assert early.status_code == 409 and "signs their consent" in early.text
        assert (await owner.get(url)).status_code == 403
        page = await speaker.get(url)
        assert page.status_code == 200 and SCOPE in page.text and "withdraw" in page.text
        assert "30 days" in page.text
        unticked = await _sign(speaker, url, "Sam Speaker", agree="")
        assert unticked.status_code == 422 and "tick the box" in unticked.text
        mismatch = await _sign(speaker, url, "Sam Speaker", signature="S. S.")
        assert mismatch.status_code == 422 and "full name" in mismatch.text
        signed = await _sign(speaker, url, "Sam Speaker")
        assert signed.status_code == 303
        again = await _sign(speaker, url, "Sam Speaker")
        assert again.status_code == 409 and "already signed" in again.text
        assert "withdraw" in (await speaker.get(url)).text.lower()

        short = await owner.put(f"{base}/{voice}/sample", content=_wav(2), headers=csrf)
        assert short.status_code == 422 and "at least 10 s" in short.text
        junk = await owner.put(f"{base}/{voice}/sample", content=b"not audio", headers=csrf)
        assert junk.status_code == 422 and "WAV" in junk.text
        sample = _wav(12)
        uploaded = await owner.put(f"{base}/{voice}/sample", content=sample, headers=csrf)
        assert uploaded.status_code == 200 and uploaded.json()["has_sample"]
        made = await owner.post(f"{base}/{voice}/make", headers=csrf)
        assert made.status_code == 200, made.text
        assert made.json()["state"] == "ready" and list(provider.voices.values()) == [sample]
        (provider_id,) = provider.voices

        agent = (await owner.post(f"/api/tenants/{tenant}/agents", headers=csrf,
                                  json={"name": "Desk", "greeting": "Hello"})).json()  # fmt: skip
        agent_url = f"/api/tenants/{tenant}/agents/{agent['id']}"
        unknown = await owner.put(agent_url, headers=csrf, json={
            "name": "Desk", "greeting": "Hello", "voice": "custom:nope"})  # fmt: skip
        assert unknown.status_code == 422 and "not ready" in unknown.text
        changed = await owner.put(agent_url, headers=csrf, json={
            "name": "Desk", "greeting": "Hello", "voice": f"custom:{voice}"})  # fmt: skip
        assert changed.status_code == 200, changed.text

        db = Database(database_url)
        try:
            privacy = Privacy(settings, db)
            voices = Voices(settings, db, privacy, privacy.clock)
            cloned = await voices.speaker(tenant, f"custom:{voice}")
            assert cloned is not None
            pcm = await cloned.synthesize("Thanks for calling Harbour Dental.")
            assert len(pcm) == 8000  # half a second at the call's 8 kHz
            assert provider.spoken == [(provider_id, "Thanks for calling Harbour Dental.")]
            unset = Voices(settings.model_copy(update={"agents": settings.agents.model_copy(
                update={"voice_clone_url": None})}), db, privacy, privacy.clock)  # fmt: skip
            with pytest.raises(ServiceUnavailable, match="no offline voice-cloning model"):
                unset.provider()

            who = await account_of(settings, db, SPEAKER)
            assert who is not None
            async with db.session() as session:
                exported = await privacy.rights("test").export(session, who.subject_ref)
            consent = exported["data"]["voice_consent"]["records"][0]
            assert consent["signer_name"] == "Sam Speaker" and consent["scope"] == SCOPE

            # Withdrawn: deleted at the provider at once, and the agent falls back.
            page = await speaker.get(url)
            gone = await speaker.post(f"{url}/withdraw", data={"csrf": _csrf(page.text)})
            assert gone.status_code == 303
            assert provider.deleted == [provider_id] and provider.voices == {}
            assert await voices.speaker(tenant, f"custom:{voice}") is None
            listed = (await owner.get(base)).json()["voices"]
            assert [(v["state"], v["has_sample"]) for v in listed] == [("withdrawn", False)]

            # A second voice: 31 days after it is made its sample is gone, the voice stays.
            second = (await owner.post(base, headers=csrf, json={
                "name": "Sam 2", "scope": SCOPE, "speaker_email": SPEAKER})).json()  # fmt: skip
            assert (await _sign(speaker, second["signing_url"], "Sam Speaker")).status_code == 303
            await owner.put(f"{base}/{second['id']}/sample", content=sample, headers=csrf)
            await owner.post(f"{base}/{second['id']}/make", headers=csrf)
            (second_provider_id,) = provider.voices
            later = FakeClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=31))
            swept = await Privacy(settings, db, later).sweeper().sweep()
            assert swept.counts["voice_sample"] == 1
            async with tenant_session(db, tenant) as session:
                row = await session.get(CustomVoice, second["id"])
                assert row is not None and row.sample is None and row.state == "ready"

            # An erasure request deletes it at the provider before its rows.
            async with db.session() as session:
                actions, _ = await privacy.rights("test").erase(session, who.subject_ref)
            assert provider.deleted == [provider_id, second_provider_id]
            assert {"action": "deleted at the voice provider", "category": "custom_voice",
                    "records": 2} in actions  # fmt: skip
            async with tenant_session(db, tenant) as session:
                assert (await session.scalars(select(CustomVoice))).all() == []
        finally:
            await db.dispose()
            await speaker.aclose()


async def test_a_business_deletes_its_voice_at_the_provider_and_here(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with (
        voice_provider() as (provider_url, provider),
        site(make_settings, database_url, agents={"voice_clone_url": provider_url}) as (
            owner, inbox, _,
        ),
    ):  # fmt: skip
        csrf = {"X-CSRF-Token": await verified_login(owner, inbox, "owner@example.org")}
        speaker = httpx.AsyncClient(transport=owner._transport, base_url="http://testserver")
        await verified_login(speaker, inbox, SPEAKER)
        tenant = (await owner.post("/api/tenants", json={"name": "Harbour Dental"},
                                   headers=csrf)).json()["id"]  # fmt: skip
        base = f"/api/tenants/{tenant}/voices"
        asked = (await owner.post(base, headers=csrf, json={
            "name": "Sam", "scope": SCOPE, "speaker_email": SPEAKER})).json()  # fmt: skip
        assert (await _sign(speaker, asked["signing_url"], "Sam Speaker")).status_code == 303
        await owner.put(f"{base}/{asked['id']}/sample", content=_wav(12), headers=csrf)
        await owner.post(f"{base}/{asked['id']}/make", headers=csrf)
        (provider_id,) = provider.voices

        # The page lists it with its consent and how long each part is kept.
        page = await owner.get(f"/agents/b/{tenant}/voices")
        assert "Ready to use" in page.text and "While Harbour Dental uses the service" in page.text

        # Someone of another business cannot delete it; its own business can, from the page.
        other = httpx.AsyncClient(transport=owner._transport, base_url="http://testserver")
        other_csrf = {"X-CSRF-Token": await verified_login(other, inbox, "other@example.org")}
        stranger = await other.delete(f"{base}/{asked['id']}", headers=other_csrf)
        assert stranger.status_code in (403, 404) and provider.voices
        deleted = await owner.post(
            f"/agents/b/{tenant}/voices/{asked['id']}/delete", data={"csrf": _csrf(page.text)}
        )
        assert deleted.status_code == 303
        assert provider.deleted == [provider_id] and provider.voices == {}
        assert (await owner.get(base)).json()["voices"] == []
        gone = await owner.delete(f"{base}/{asked['id']}", headers=csrf)
        assert gone.status_code == 404
        await speaker.aclose()
        await other.aclose()

    db = Database(database_url)
    try:
        async with db.session() as session:
            actions = (await session.scalars(select(AuditEntry.action))).all()
        assert "voice.deleted" in actions
    finally:
        await db.dispose()


async def _limit(person: httpx.AsyncClient, on: bool) -> None:
    """The person's own privacy choices page: limit (or stop limiting) the use of their
    sensitive personal information (CPRA)."""
    page = await person.get("/privacy/choices")
    form = {"csrf": _csrf(page.text), **({"limit_sensitive": "1"} if on else {})}
    saved = await person.post("/privacy/choices", data=form)
    assert saved.status_code == 303, saved.text


async def test_a_speaker_who_limits_sensitive_use_has_no_voice_made_or_spoken(
    make_settings: SettingsFactory, database_url: str
) -> None:
    async with (
        voice_provider() as (provider_url, provider),
        site(make_settings, database_url, agents={"voice_clone_url": provider_url}) as (
            owner, inbox, settings,
        ),
    ):  # fmt: skip
        csrf = {"X-CSRF-Token": await verified_login(owner, inbox, "owner@example.org")}
        speaker = httpx.AsyncClient(transport=owner._transport, base_url="http://testserver")
        await verified_login(speaker, inbox, SPEAKER)
        tenant = (await owner.post("/api/tenants", json={"name": "Harbour Dental"},
                                   headers=csrf)).json()["id"]  # fmt: skip
        base = f"/api/tenants/{tenant}/voices"
        asked = (await owner.post(base, headers=csrf, json={
            "name": "Sam", "scope": SCOPE, "speaker_email": SPEAKER})).json()  # fmt: skip
        voice = asked["id"]
        assert (await _sign(speaker, asked["signing_url"], "Sam Speaker")).status_code == 303
        await owner.put(f"{base}/{voice}/sample", content=_wav(12), headers=csrf)

        await _limit(speaker, on=True)
        refused = await owner.post(f"{base}/{voice}/make", headers=csrf)
        assert refused.status_code == 409 and "limited the use" in refused.text
        assert provider.voices == {}

        await _limit(speaker, on=False)
        made = await owner.post(f"{base}/{voice}/make", headers=csrf)
        assert made.status_code == 200, made.text
        db = Database(database_url)
        try:
            privacy = Privacy(settings, db)
            voices = Voices(settings, db, privacy, privacy.clock)
            assert await voices.speaker(tenant, f"custom:{voice}") is not None
            await _limit(speaker, on=True)  # the agent falls back to its built-in voice
            assert await voices.speaker(tenant, f"custom:{voice}") is None
            assert provider.spoken == []
        finally:
            await db.dispose()
            await speaker.aclose()
