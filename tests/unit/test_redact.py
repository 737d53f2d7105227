from __future__ import annotations

import json
import logging

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from ringfence.logging import configure_logging, get_logger
from ringfence.privacy.redact import Redacted, mask_phone_numbers
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
    ],
)
def test_phone_numbers_keep_only_their_last_two_digits(text: str) -> None:
    masked = mask_phone_numbers(f"call to {text} failed")
    digits = "".join(c for c in text if c.isdigit())
    assert digits not in masked.replace(" ", "")
    assert digits[:-2] not in "".join(c for c in masked if c.isdigit())
    assert masked.rstrip(" failed").endswith(digits[-2:]) or digits[-2:] + "@" in masked


@pytest.mark.parametrize(
    "text", ["2026-11-22T18:48:58Z", "port 8000", "id 12345", "0.0.0.0", "v1.2.3"]
)
def test_dates_ports_and_short_ids_are_left_alone(text: str) -> None:
    assert mask_phone_numbers(text) == text


@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_no_e164_number_survives(number: str) -> None:
    masked = mask_phone_numbers(f"to={number} ")
    assert number not in masked
    assert masked.count("*") == len(number) - 3


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
