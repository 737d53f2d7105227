"""Language and interests through the real signalling, with the in-memory matcher and with
Redis: what the page is told while it waits (since when, how long interests hold), the
interests a pair shares, the server's own look again once the wait is over, and bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from ringfence.settings import Settings
from tests.conftest import SettingsFactory
from tests.integration.services.test_roulette import peers, server

pytestmark = pytest.mark.integration
WAIT = 1.5  # seconds someone with interests holds out for a person who shares one


@pytest.fixture(params=["memory", "redis"])
def settings(
    request: pytest.FixtureRequest, make_settings: SettingsFactory, database_url: str
) -> Settings:
    redis = request.getfixturevalue("redis_url") if request.param == "redis" else None
    return make_settings(
        database_url=database_url,
        redis_url=redis,
        web={"trusted_proxies": ["127.0.0.1"]},
        roulette={"interests_wait": WAIT},
    )


async def test_shared_interests_first_then_anyone_once_the_wait_is_over(
    settings: Settings,
) -> None:
    ips = ("198.51.100.80", "198.51.100.81", "198.51.100.82", "198.51.100.83")
    async with server(settings) as base, peers(base, *ips) as (plain, chess, fan, knit):
        assert (await plain.join())["state"] == "waiting"
        told = await plain.next("waiting")
        assert told["interestsWait"] is None  # no interests: anyone, at once
        since = dt.datetime.fromisoformat(told["since"])
        assert abs((dt.datetime.now(dt.UTC) - since).total_seconds()) < 5

        assert (await chess.join(interests="Chess, music"))["state"] == "waiting"
        assert (await chess.next("waiting"))["interestsWait"] == WAIT
        # A fan of music is matched with chess, past the longer-waiting plain.
        assert (await fan.join(interests=["MUSIC", "films"]))["state"] == "matched"
        got = await chess.next("matched")
        assert got["shared"] == ["music"] and got["initiator"] is False
        assert (await fan.next("matched"))["shared"] == ["music"]

        # Nobody shares knitting: knit waits; once the wait is over the server looks again by
        # itself and pairs knit with plain, without anyone else joining.
        assert (await knit.join(interests="knitting", language="en"))["state"] == "waiting"
        assert plain.events["matched"].empty()
        late = await knit.next("matched")  # within WAIT + the queue's 10 s
        assert late["initiator"] is True and late["shared"] == []
        assert (await plain.next("matched"))["initiator"] is False


async def test_languages_and_bad_preferences(settings: Settings) -> None:
    ips = ("198.51.100.90", "198.51.100.91", "198.51.100.92")
    async with server(settings) as base, peers(base, *ips) as (es, fr, es2):
        assert "not a language" in (await es.join(language="xx"))["error"]
        assert "at most 5 interests" in (await es.join(interests="a,b,c,d,e,f"))["error"]
        assert "at most 30 characters" in (await es.join(interests="x" * 31))["error"]
        assert "words separated by commas" in (await es.join(interests={"a": 1}))["error"]
        assert (await es.join(language="es"))["state"] == "waiting"
        assert (await fr.join(language="fr"))["state"] == "waiting"
        assert (await es2.join(language="ES"))["state"] == "matched"
        assert (await es.next("matched"))["initiator"] is False
