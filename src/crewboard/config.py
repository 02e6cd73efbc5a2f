"""Settings, read from ``CREWBOARD_*`` environment variables; no secrets live in code."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    """One SQLite file in the user's data directory."""
    path = Path(user_data_dir("crewboard", appauthor=False)) / "crewboard.db"
    return f"sqlite+aiosqlite:///{path}"


class Settings(BaseSettings):
    """Process-wide configuration. Every field can be set as ``CREWBOARD_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CREWBOARD_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    log_level: str = "INFO"

    # SQLite waits this long for a lock before a write reports "busy".
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    # NORMAL survives a crash of the process (WAL); FULL also survives power loss.
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    db_pool_size: int = Field(default=10, ge=1, le=200)

    # Credentials.
    web_session_hours: int = Field(default=24 * 7, ge=1, le=24 * 90)
    token_default_days: int = Field(default=90, ge=1, le=3650)
    token_max_days: int = Field(default=365, ge=1, le=3650)
    setup_secret_minutes: int = Field(default=60, ge=1, le=24 * 60)
    cookie_secure: bool = False  # set true when served over HTTPS
    # Recording last use costs a write; do it at most this often per credential.
    touch_interval_seconds: int = Field(default=300, ge=0, le=86_400)

    # Per-credential budgets (edge/rate.py, per server process): writes a minute with a
    # burst, and live streams open at once; messages a minute per sender and unread
    # messages per inbox (services/messages, database-wide).
    writes_per_minute: int = Field(default=600, ge=1, le=1_000_000)
    writes_burst: int = Field(default=120, ge=1, le=1_000_000)
    streams_per_credential: int = Field(default=20, ge=1, le=10_000)
    messages_per_minute: int = Field(default=120, ge=1, le=1_000_000)
    inbox_max_unread: int = Field(default=2000, ge=1, le=10_000_000)

    # Password guessing (login and current_password): failures within the window before 429,
    # per e-mail from one client, per client, and per e-mail from all clients together
    # (services/accounts/throttle.py).
    login_window_seconds: int = Field(default=900, ge=1, le=86_400)
    login_max_failures_per_email: int = Field(default=5, ge=1, le=1000)
    login_max_failures_per_client: int = Field(default=30, ge=1, le=100_000)
    login_max_failures_per_email_total: int = Field(default=100, ge=1, le=100_000)

    # Password hashing (Argon2id, 4 lanes): the defaults are RFC 9106's low-memory profile
    # (about 64 MiB and a good fraction of a second per hash). Each hash keeps its own
    # parameters, so changing these never locks anyone out; tests use the cheapest.
    argon2_time_cost: int = Field(default=3, ge=1, le=100)
    argon2_memory_kib: int = Field(default=65_536, ge=32, le=4 * 1_048_576)

    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)

    # Tasks: a claim holds a task this long unless its owner renews it by working on it.
    lease_minutes: float = Field(default=30, gt=0, le=7 * 24 * 60)
    # Background jobs (lease expiry, ...) run in every server process, safely.
    jobs_enabled: bool = True
    lease_check_seconds: float = Field(default=15, gt=0, le=3600)
    # Messages: read ones older than this many days are deleted (0 keeps every message);
    # an unread message is never deleted.
    message_retention_days: int = Field(default=30, ge=0, le=36_500)
    message_prune_seconds: float = Field(default=3600, gt=0, le=86_400)

    # Live events (SSE): how often each server process looks for new events (PostgreSQL is
    # also woken at once by NOTIFY; on SQLite this bounds the delay of another process's
    # writes), the keep-alive comment interval, and how many events a slow client may lag.
    live_poll_ms: int = Field(default=200, ge=10, le=60_000)
    live_keepalive_seconds: float = Field(default=15, gt=0, le=600)
    live_queue_size: int = Field(default=1000, ge=10, le=1_000_000)
    # PostgreSQL: the longest the stream waits for an event id that was taken but is not yet
    # committed (normally milliseconds) before skipping it as lost.
    live_gap_max_seconds: float = Field(default=30, gt=0, le=3600)

    # Webhooks (see docs/webhooks.md): how often the job queues and sends, how long one POST
    # may take, how many attempts before a delivery fails, and the retry backoff (doubling
    # from the base, capped, with jitter).
    webhook_check_seconds: float = Field(default=2, gt=0, le=3600)
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=300)
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_retry_base_seconds: float = Field(default=10, gt=0, le=86_400)
    webhook_retry_max_seconds: float = Field(default=3600, gt=0, le=7 * 86_400)
    # Loopback, link-local, private, unspecified, multicast and reserved targets are refused
    # unless this is on (a receiver on the same host or network: services/webhooks/targets.py).
    webhook_allow_private: bool = False

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "CREWBOARD_DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("CREWBOARD_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return upper
