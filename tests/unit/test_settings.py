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
