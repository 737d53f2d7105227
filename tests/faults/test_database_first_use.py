"""The first requests on a fresh database all answer: the rows they all want to write first (the
policy version in force, a subject's data key) are written once, whoever comes first."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select

from ringfence.privacy.core import Privacy
from ringfence.privacy.models import DataKey, PolicyVersion
from ringfence.store import Database
from ringfence.web.app import create_app
from tests.conftest import ENGINES, SettingsFactory
from tests.support.web import serving

pytestmark = pytest.mark.integration

FIRST = 20
PAGES = ["/privacy", "/privacy.json", "/privacy.json?service=ring", "/privacy/now.json"]


@ENGINES
async def test_twenty_concurrent_first_requests_all_answer(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    settings = make_settings(database_url=database_url)
    # As ``ringfence serve`` builds it: the schema is checked before, nothing written at start.
    app = create_app(settings, check_schema=False, run_workers=False)
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as client:
        answers = await asyncio.gather(*(client.get(PAGES[i % len(PAGES)]) for i in range(FIRST)))
    assert [a.status_code for a in answers] == [200] * FIRST, [
        a.text[:200] for a in answers if a.status_code != 200
    ]
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(PolicyVersion)) == 1


@ENGINES
async def test_concurrent_first_encryptions_for_one_subject_share_its_key(
    make_settings: SettingsFactory, database_url: str, db: Database
) -> None:
    """Each on its own connection, as requests are: every one encrypts, all under one key."""
    privacy = Privacy(make_settings(database_url=database_url), db)

    async def encrypt(i: int) -> bytes:
        async with db.session() as session:
            return await privacy.vault.encrypt(session, "phone:first-use", f"call {i}".encode())

    blobs = await asyncio.gather(*(encrypt(i) for i in range(FIRST)))
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(DataKey)) == 1
        plain = [await privacy.vault.decrypt(session, "phone:first-use", b) for b in blobs]
    assert plain == [f"call {i}".encode() for i in range(FIRST)]
