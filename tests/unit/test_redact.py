from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from ringfence.logging import PrivateFileHandler, configure_logging, get_logger, truncate_ip
from ringfence.redact import Redacted, mask_phone_numbers, mask_secrets, redact_sensitive
from ringfence.settings import LogSettings


@pytest.mark.parametrize(
    "text",
    [
        "+14155550123",
        "(415) 555-0123",
        "020 7946 0018",
        "sip:+442079460018@carrier.example",
        "07700-900-123",
        "+49 30 1234567",
        "/api/ring/check?number=020+7946+0958",
        "/api/ring/check?number=%2B44%2020%207946%200958",
    ],
)
def test_phone_numbers_keep_only_their_last_two_digits(text: str) -> None:
    masked = mask_phone_numbers(f"call to {text} failed")
    digits = "".join(c for c in text if c.isdigit())
    assert digits not in masked.replace(" ", "")
    assert digits[:-2] not in "".join(c for c in masked if c.isdigit())
    assert masked.rstrip(" failed").endswith(digits[-2:]) or digits[-2:] + "@" in masked


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-22T18:48:58Z",
        "port 8000",
        "id 12345",
        "0.0.0.0",
        "v1.2.3",
        "203.0.113.9:50312 - GET /",
        "client 198.51.100.244",
    ],
)
def test_dates_ports_and_short_ids_are_left_alone(text: str) -> None:
    assert mask_phone_numbers(text) == text


@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_no_e164_number_survives(number: str) -> None:
    masked = mask_phone_numbers(f"to={number} ")
    assert number not in masked
    assert masked.count("*") == len(number) - 3


SECRET = "Z1B3K1_DWXYVjJaiEJ1DAc2l6CJs5vszQ8rT-a9"  # like secrets.token_urlsafe


@pytest.mark.parametrize(
    "text",
    [
        f"GET /account/verify?token={SECRET} HTTP/1.1",
        f"/account/reset/new?lang=en&token={SECRET}&x=1",
        f"Cookie: rf_session={SECRET}; rf_anon=abc",
        f"form csrf={SECRET}",
        f"otpauth://totp/ringfence:ada?secret={SECRET}&issuer=ringfence",
        f"Authorization: Bearer {SECRET}",
        f"?reset_token%3D{SECRET}",
        f"/account/reset/new/{SECRET}",
        f"failed for {SECRET}: no such session",
    ],
)
def test_secret_parameters_lose_their_values(text: str) -> None:
    masked = mask_secrets(text)
    assert SECRET not in masked and "[redacted]" in masked


@pytest.mark.parametrize(
    "text",
    [
        "account 1f74c55c6a3fc7eb27d51b9b5eccfa5c logged in",
        "ref h:8f0579561ddb1b7a938aeee971b01916c5e28fb47556b6ea107b7ba73d8c3e20",
        "task dba58e0a-1dcb-46d5-8c78-7c9d74da371b executed",
        "ringfence.jobs.queue.agents.campaign_watch ix_campaign_attempts_campaign_call_id",
    ],
)
def test_ids_hashes_and_names_are_not_taken_for_secrets(text: str) -> None:
    assert mask_secrets(text) == text


def test_secret_fields_and_query_strings_never_reach_a_log_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(LogSettings(level="INFO", format="json"))
    get_logger("test").info("flow", token=SECRET, totp_secret=SECRET, code="forbidden")
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", f"/v?x={SECRET}", "1.1", 200)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert SECRET not in json.dumps(lines)
    assert lines[0]["code"] == "forbidden"  # an error code is not a secret
    assert lines[1]["event"] == '127.0.0.0 - "GET /v HTTP/1.1" 200'  # the /24, no port
    configure_logging(LogSettings(level="INFO", format="json", client_ip="raw"))
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/v", "1.1", 200)
    raw = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert raw[0]["event"] == '127.0.0.1:5 - "GET /v HTTP/1.1" 200'  # the operator opted in
    configure_logging(LogSettings())
    structlog.reset_defaults()


@pytest.mark.parametrize(
    ("client", "kept"),
    [
        ("203.0.113.77:51234", "203.0.113.0"),
        ("203.0.113.77", "203.0.113.0"),
        ("[2001:db8:abcd:12:1:2:3:4]:443", "2001:db8:abcd::"),
        ("2001:db8:abcd:12::9", "2001:db8:abcd::"),
        ("unix:/run/ringfence.sock", "-"),
    ],
)
def test_a_client_address_is_cut_to_its_network(client: str, kept: str) -> None:
    assert truncate_ip(client) == kept


def test_a_log_file_also_rotates_at_its_size(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "access.log"
    handler = PrivateFileHandler(path, keep=7, max_bytes=64 * 1024)
    line = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, "x" * 1000, None, None)
    try:
        for _ in range(200):
            handler.emit(line)
    finally:
        handler.close()
    rotated = sorted(p.name for p in path.parent.iterdir() if p != path)
    assert len(rotated) >= 2 and len(set(rotated)) == len(rotated)  # same day, none overwritten
    assert all(p.stat().st_size <= 66 * 1024 for p in path.parent.iterdir())


def test_redacted_never_shows_its_value() -> None:
    secret = Redacted("+14155550123")
    assert "555" not in f"{secret} {secret!r} {secret:>20}"
    assert "555" not in "%s %r" % (secret, secret)  # noqa: UP031 - %-formatting is what leaks
    assert secret.value == "+14155550123"


def test_log_lines_are_json_with_numbers_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LogSettings(level="INFO", format="json"))
    get_logger("test").info("dialing", to="+14155550123", note="callee 020 7946 0018")
    logging.getLogger("thirdparty").warning("INVITE sip:+14155550199@example.com")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    text = json.dumps(lines)
    assert "4155550123" not in text and "79460018" not in text and "4155550199" not in text
    assert lines[0]["event"] == "dialing" and lines[0]["to"].endswith("23")
    assert lines[1]["logger"] == "thirdparty"
    structlog.reset_defaults()


def test_a_log_file_rotates_daily_and_keeps_seven(tmp_path: Path) -> None:
    import logging.handlers

    configure_logging(LogSettings(file=tmp_path / "logs" / "ringfence.log"))
    try:
        handler = next(h for h in logging.getLogger().handlers if getattr(h, "_ringfence", False))
        assert isinstance(handler, logging.handlers.TimedRotatingFileHandler)
        assert handler.when == "MIDNIGHT" and handler.backupCount == 7
        get_logger("test").info("rotated", to="+14155550123")
        handler.flush()
        line = (tmp_path / "logs" / "ringfence.log").read_text()
        assert '"event": "rotated"' in line and "4155550123" not in line
    finally:
        configure_logging(LogSettings())


@pytest.mark.parametrize(
    ("said", "kept", "gone"),
    [
        ("my card is 4111 1111 1111 1111 thanks", "[card number]", "4111"),
        ("card 5500-0000-0000-0004 expiring soon", "[card number]", "5500"),
        ("my social is 123-45-6789", "[national id]", "6789"),
        ("NI number AB 12 34 56 C please", "[national id]", "34 56"),
        ("I was born on 12/03/1985 in Leeds", "[date of birth]", "1985"),
        ("date of birth is 4th of July 1990", "[date of birth]", "1990"),
        ("DOB: 1979-02-28", "[date of birth]", "1979"),
    ],
)
def test_sensitive_data_is_replaced_by_labels(said: str, kept: str, gone: str) -> None:
    redacted = redact_sensitive(said)
    assert kept in redacted and gone not in redacted


def test_ordinary_numbers_stay() -> None:
    text = "order 1234567890123 arrives on 12/03/2026; call me on +44 20 7946 0958"
    assert redact_sensitive(text) == text  # not a Luhn number, not a birth date, a phone
