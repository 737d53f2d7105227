"""The numbers JSON API, the CLI and the Faker provider."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import phonenumbers
import pytest
from faker import Faker

import ringfence.services.numbers as numbers
from ringfence.services.numbers.kinds import type_name
from ringfence.web.app import create_app
from tests.conftest import SettingsFactory
from tests.support.web import client_for

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def app(make_settings: SettingsFactory, database_url: str):  # type: ignore[no-untyped-def]
    return create_app(make_settings(database_url=database_url), run_workers=False)


async def test_generate_valid_numbers(app) -> None:  # type: ignore[no-untyped-def]
    async with client_for(app) as client:
        resp = await client.get(
            "/api/numbers", params={"region": "GB", "type": "mobile", "count": 25, "seed": 42}
        )
        assert resp.status_code == 200
        body = resp.json()
        assert body["region"] == "GB" and body["type"] == "mobile" and body["seed"] == 42
        assert len(body["numbers"]) == 25
        for n in body["numbers"]:
            assert n["valid"] and n["type"] == "mobile" and n["region"] == "GB"
            assert phonenumbers.is_valid_number(phonenumbers.parse(n["e164"], None))
            assert n["rfc3966"].startswith("tel:+44-")
        again = await client.get(
            "/api/numbers", params={"region": "GB", "type": "mobile", "count": 25, "seed": 42}
        )
        assert again.json() == body


async def test_fiction_mode(app) -> None:  # type: ignore[no-untyped-def]
    async with client_for(app) as client:
        resp = await client.get("/api/numbers", params={"region": "US", "safe": "true"})
        assert all(n["fictional"] for n in resp.json()["numbers"])
        refused = await client.get("/api/numbers", params={"region": "FR", "safe": "true"})
        assert refused.status_code == 422
        assert "no range reserved for fiction is known for FR" in refused.json()["error"]["message"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"region": "XX"}, "unknown region 'XX'; accepted:"),
        ({"region": "GB", "type": "satellite"}, "accepted: any, fixed_line, mobile"),
        ({"region": "GB", "type": "shared_cost"}, "GB has no shared_cost numbers; accepted for GB"),
        ({"region": "GB", "count": 0}, "count must be between 1 and 1000"),
        ({"region": "GB", "count": 100000}, "count must be between 1 and 1000"),
        ({"region": "GB", "count": "many"}, "count"),
        ({"region": "GB", "seed": -1}, "seed"),
    ],
)
async def test_bad_input_is_422_with_the_accepted_values(app, params, fragment) -> None:  # type: ignore[no-untyped-def]
    async with client_for(app) as client:
        resp = await client.get("/api/numbers", params=params)
        assert resp.status_code == 422
        assert resp.json()["error"]["code"] == "invalid_input"
        assert fragment in resp.json()["error"]["message"]


async def test_download_streams_csv_with_e164_first(app) -> None:  # type: ignore[no-untyped-def]
    async with client_for(app) as client:
        resp = await client.get(
            "/api/numbers/download",
            params={"region": "DE", "type": "fixed_line", "count": 70000, "seed": 1},
        )
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/csv")
        assert 'filename="numbers-DE-fixed_line.csv"' in resp.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(resp.text)))
        assert rows[0] == ["e164", "region", "type", "fictional"]
        assert len(rows) == 70001
        for row in rows[1:2000]:
            assert phonenumbers.is_valid_number(phonenumbers.parse(row[0], None))
        # Lengths as real German numbers have them, none beyond E.164's 15 digits.
        national = [len(row[0]) - 3 for row in rows[1:]]
        assert max(national) <= 13
        assert sum(n in (10, 11) for n in national) > 0.6 * len(national)
        mixed = await client.get(
            "/api/numbers/download", params={"region": "GB", "count": 2000, "seed": 2}
        )
        own = [row for row in csv.reader(io.StringIO(mixed.text))][1:]
        assert {row[2] for row in own} == {"mobile", "fixed_line"}
        for e164, _, kind, _ in own:
            number = phonenumbers.parse(e164, None)
            assert kind == type_name(phonenumbers.number_type(number))
        jsonl = await client.get(
            "/api/numbers/download", params={"region": "GB", "count": 5, "format": "jsonl"}
        )
        lines = [json.loads(line) for line in jsonl.text.splitlines()]
        assert len(lines) == 5 and lines[0]["region"] == "GB"
        bad = await client.get("/api/numbers/download", params={"format": "xlsx"})
        assert bad.status_code == 422 and "csv, jsonl, txt" in bad.json()["error"]["message"]


async def test_check_endpoint(app) -> None:  # type: ignore[no-untyped-def]
    async with client_for(app) as client:
        ok = await client.post(
            "/api/numbers/check", json={"number": "020 7946 0123", "region": "gb"}
        )
        assert ok.status_code == 200
        assert ok.json()["e164"] == "+442079460123"
        assert ok.json()["fictional"] is True
        assert ok.json()["description"] == "London"
        drama = await client.post("/api/numbers/check", json={"number": "+447700900123"})
        assert drama.json()["type"] == "mobile" and drama.json()["valid"] is False
        assert drama.json()["fiction_note"].startswith("reserved for drama by Ofcom")
        bad = await client.post("/api/numbers/check", json={"number": "not a number"})
        assert bad.status_code == 422
        assert bad.json()["error"]["message"].startswith("not a phone number")
        missing = await client.post("/api/numbers/check", json={})
        assert missing.status_code == 422
        regions = await client.get("/api/numbers/regions")
        by_code = {r["code"]: r for r in regions.json()}
        assert len(by_code) >= 240
        assert by_code["GB"]["fiction"] and not by_code["FR"]["fiction"]
        assert "mobile" in by_code["GB"]["types"]


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGFENCE_")}
    return subprocess.run(
        [sys.executable, "-m", "ringfence", "numbers", *args],
        capture_output=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


def test_cli_generates_reproducible_csv() -> None:
    first = _cli("--region", "IN", "--type", "mobile", "--count", "20000", "--seed", "9")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.decode().splitlines()
    assert lines[0].startswith("e164,")
    assert len(lines) == 20001
    assert all(
        phonenumbers.is_valid_number(phonenumbers.parse(line.split(",")[0]))
        for line in lines[1:500]
    )
    assert (
        _cli("--region", "IN", "--type", "mobile", "--count", "20000", "--seed", "9").stdout
        == first.stdout
    )


def test_cli_full_jsonl_and_check() -> None:
    out = _cli("--region", "AU", "--safe", "--count", "3", "--format", "jsonl", "--full")
    rows = [json.loads(line) for line in out.stdout.decode().splitlines()]
    assert len(rows) == 3 and all(r["fictional"] and r["national"] for r in rows)
    checked = _cli("check", "+1 800 555 0199")
    assert json.loads(checked.stdout)["fictional"] is True
    typed = _cli("--region", "DE", "--count", "500", "--seed", "3", "--format", "jsonl")
    for row in map(json.loads, typed.stdout.decode().splitlines()):
        number = phonenumbers.parse(row["e164"], None)
        assert row["type"] == type_name(phonenumbers.number_type(number)) != "any"


def test_cli_errors_are_one_line() -> None:
    for args, fragment in [
        (("--region", "ZZ"), "unknown region 'ZZ'"),
        (("--region", "FR", "--safe"), "no range reserved for fiction"),
        (("--format", "xml"), "unknown format 'xml'"),
        (("check", "hello"), "not a phone number"),
    ]:
        result = _cli(*args)
        assert result.returncode == 2
        err = result.stderr.decode().strip()
        assert len(err.splitlines()) == 1 and fragment in err


def test_faker_provider_is_a_one_line_switch() -> None:
    fake = Faker("en_GB")
    fake.add_provider(numbers.FakerProvider)
    Faker.seed(3)
    first = [fake.valid_phone_number() for _ in range(50)]
    Faker.seed(3)
    assert [fake.valid_phone_number() for _ in range(50)] == first
    for e164 in first:
        number = phonenumbers.parse(e164)
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.region_code_for_number(number) == "GB"
    assert fake.fictional_phone_number().startswith("+44")
    mobile = fake.valid_phone_number(region="BR", type="mobile")
    assert (
        phonenumbers.number_type(phonenumbers.parse(mobile)) == phonenumbers.PhoneNumberType.MOBILE
    )
    assert fake.fictional_phone_number("US").startswith("+1")
