"""Settings: CREWBOARD_* environment variables, their checks, and the default database."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from platformdirs import user_data_dir
from pydantic import ValidationError

from crewboard.config import Settings, default_database_url


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CREWBOARD_* variable from the outside world leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("CREWBOARD_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = Settings()
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 8765, "INFO")
    assert settings.sqlite_busy_timeout_ms == 5000
    assert settings.sqlite_synchronous == "NORMAL"
    assert settings.cookie_secure is False
    assert settings.token_max_days >= settings.token_default_days


def test_the_default_database_is_one_sqlite_file_in_the_user_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    expected = Path(user_data_dir("crewboard", appauthor=False)) / "crewboard.db"
    assert expected.is_relative_to(tmp_path)
    assert default_database_url() == f"sqlite+aiosqlite:///{expected}"
    assert Settings().database_url == default_database_url()


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+asyncpg://crew:secret@db.internal:5432/crewboard"
    for name, value in {
        "CREWBOARD_DATABASE_URL": url,
        "CREWBOARD_HOST": "192.0.2.10",
        "CREWBOARD_PORT": "9000",
        "CREWBOARD_LOG_LEVEL": "debug",
        "CREWBOARD_SQLITE_SYNCHRONOUS": "FULL",
        "CREWBOARD_COOKIE_SECURE": "true",
        "CREWBOARD_TOUCH_INTERVAL_SECONDS": "0",
        "CREWBOARD_LOGIN_MAX_FAILURES_PER_EMAIL": "3",
        "CREWBOARD_MAX_BODY_BYTES": "4096",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.database_url == url
    assert (settings.host, settings.port) == ("192.0.2.10", 9000)
    assert settings.log_level == "DEBUG"  # normalised
    assert settings.sqlite_synchronous == "FULL"
    assert settings.cookie_secure is True
    assert settings.touch_interval_seconds == 0
    assert settings.login_max_failures_per_email == 3
    assert settings.max_body_bytes == 4096


def test_unknown_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREWBOARD_NO_SUCH_SETTING", "1")
    assert Settings().port == 8765


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CREWBOARD_DATABASE_URL", "mysql://db/crewboard", "CREWBOARD_DATABASE_URL must start"),
        (
            "CREWBOARD_DATABASE_URL",
            "sqlite:///plain-driver.db",
            "CREWBOARD_DATABASE_URL must start",
        ),
        ("CREWBOARD_LOG_LEVEL", "loud", "CREWBOARD_LOG_LEVEL must be"),
        ("CREWBOARD_PORT", "0", "greater than or equal to 1"),
        ("CREWBOARD_PORT", "70000", "less than or equal to 65535"),
        ("CREWBOARD_PORT", "eighty", "valid integer"),
        ("CREWBOARD_SQLITE_SYNCHRONOUS", "OFF", "'NORMAL' or 'FULL'"),
        ("CREWBOARD_SQLITE_BUSY_TIMEOUT_MS", "-1", "greater than or equal to 0"),
        ("CREWBOARD_MAX_BODY_BYTES", "10", "greater than or equal to 1024"),
        ("CREWBOARD_TOKEN_MAX_DAYS", "0", "greater than or equal to 1"),
        ("CREWBOARD_COOKIE_SECURE", "maybe", "valid boolean"),
    ],
)
def test_bad_values_are_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    text = str(caught.value)
    assert message in text
    # The error names the setting that is wrong.
    assert name.removeprefix("CREWBOARD_").lower() in text


def test_arguments_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREWBOARD_PORT", "9000")
    assert Settings(port=9100).port == 9100
