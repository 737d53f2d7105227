from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.errors import ConfigurationError
from ringfence.settings import Settings, load_settings


def test_defaults_need_no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    settings = load_settings()
    assert settings.data_dir == Path("var")
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.resolved_database_url.endswith("/var/ringfence.db")
    assert settings.jobs_backend == "embedded"
    assert settings.web.host == "127.0.0.1"
    assert settings.web.port == 8000


def test_xdg_data_home_is_the_default_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert load_settings().data_dir == tmp_path / "ringfence"


def test_environment_and_nested_sections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RINGFENCE_WEB__PORT", "9001")
    monkeypatch.setenv("RINGFENCE_REDIS_URL", "redis://127.0.0.1:6379/3")
    settings = load_settings()
    assert settings.web.port == 9001
    assert settings.jobs_backend == "redis"


def test_toml_file_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "custom.toml"
    config.write_text('data_dir = "/srv/rf"\n[web]\nport = 8100\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("RINGFENCE_CONFIG", str(config))
    monkeypatch.setenv("RINGFENCE_WEB__PORT", "8200")
    settings = load_settings()
    assert settings.data_dir == Path("/srv/rf")
    assert settings.web.host == "0.0.0.0"
    assert settings.web.port == 8200


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("RINGFENCE_WEB__PORT", "eighty", "invalid setting RINGFENCE_WEB__PORT='eighty': "),
        ("RINGFENCE_WEB__PORT", "70000", "less than or equal to 65535"),
        ("RINGFENCE_JOBS__BACKEND", "kafka", "'auto', 'embedded' or 'redis'"),
        ("RINGFENCE_LOG__LEVEL", "LOUD", "'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
        ("RINGFENCE_DATABASE_URL", "mysql://x/y", "sqlite+aiosqlite://, postgresql+asyncpg://"),
        ("RINGFENCE_REDIS_URL", "http://x", "must start with redis://"),
        ("RINGFENCE_WEB_PORT", "80", "unknown setting RINGFENCE_WEB_PORT"),
        ("RINGFENCE_WEB__TRUSTED_PROXIES", '["*"]', "not an IP address or network"),
        ("RINGFENCE_WEB__OPERATOR_TOKEN", "short", "at least 16 random characters"),
    ],
)
def test_a_bad_setting_fails_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = caught.value.message
    assert "\n" not in message
    assert name in message
    assert expected in message


def test_redis_backend_without_url_is_refused() -> None:
    settings = Settings(jobs={"backend": "redis"})
    with pytest.raises(ConfigurationError, match="RINGFENCE_REDIS_URL"):
        _ = settings.jobs_backend


def test_signing_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = settings.signing_key()
    assert len(first) >= 32
    assert settings.signing_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert Settings(data_dir=tmp_path, secret_key="given").signing_key() == b"given"


def test_the_data_dir_and_what_is_in_it_are_made_private(tmp_path: Path) -> None:
    """An install from before (or under a loose umask) is tightened: 0700 and 0600."""
    data = tmp_path / "data"
    (data / "recordings").mkdir(parents=True)
    (data / "recordings" / "a.bin").write_bytes(b"x")
    (data / "ringfence.db").write_bytes(b"x")
    for path, mode in ((data, 0o755), (data / "recordings", 0o755), (data / "ringfence.db", 0o644)):
        path.chmod(mode)
    Settings(data_dir=data).ensure_data_dir()
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "recordings").stat().st_mode & 0o777 == 0o700
    assert (data / "recordings" / "a.bin").stat().st_mode & 0o777 == 0o600
    assert (data / "ringfence.db").stat().st_mode & 0o777 == 0o600
    fresh = tmp_path / "fresh" / "data"
    Settings(data_dir=fresh).ensure_data_dir()
    assert fresh.stat().st_mode & 0o777 == 0o700


def test_the_master_key_may_live_outside_the_data_dir(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).master_key_path == tmp_path / "master.key"
    elsewhere = tmp_path / "keys" / "master.key"
    settings = Settings(data_dir=tmp_path, privacy={"master_key_file": elsewhere})
    assert settings.master_key_path == elsewhere


def test_mail_goes_to_the_outbox_unless_an_smtp_server_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().mail.resolved_backend == "outbox"
    monkeypatch.setenv("RINGFENCE_MAIL__SMTP_HOST", "smtp.example.org")
    mail = load_settings().mail
    assert (mail.resolved_backend, mail.smtp_port, mail.starttls, mail.tls) == (
        "smtp",
        25,
        False,
        False,
    )
    monkeypatch.setenv("RINGFENCE_MAIL__BACKEND", "outbox")  # kept for the operator anyway
    assert load_settings().mail.resolved_backend == "outbox"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BACKEND": "smtp"}, "backend smtp needs smtp_host"),
        ({"SMTP_HOST": "mx.example.org", "STARTTLS": "true", "TLS": "true"}, "not both"),
        ({"SMTP_HOST": "mx.example.org", "PASSWORD": "pw"}, "only over starttls or tls"),
        ({"BACKEND": "pigeon"}, "RINGFENCE_MAIL__BACKEND"),
    ],
)
def test_mail_settings_that_cannot_work_are_refused(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(f"RINGFENCE_MAIL__{name}", value)
    with pytest.raises(ConfigurationError, match=message):
        load_settings()
