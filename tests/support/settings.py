"""The cheap settings tests run with, and production's where a test asserts on those."""

from __future__ import annotations

from typing import Any

from crewboard.config import Settings

# The cheapest valid Argon2id (4 lanes need 32 KiB): a hash at production's cost takes most of
# a second on a busy machine, and logins and user creation hash often.
CHEAP_HASHING: dict[str, Any] = {"argon2_time_cost": 1, "argon2_memory_kib": 32}
# Budgets out of the way: a test writes faster than any agent, with one token (the fuzzers,
# the reliability runs). tests/edge/test_rate.py and tests/services/messages/test_limits.py
# test the budgets themselves, with their own small values.
NO_BUDGETS: dict[str, Any] = {
    "writes_per_minute": 1_000_000,
    "writes_burst": 1_000_000,
    "messages_per_minute": 1_000_000,
}
# No background jobs either: a test of a job turns them on (``jobs_enabled=True``).
CHEAP: dict[str, Any] = {"jobs_enabled": False, **CHEAP_HASHING, **NO_BUDGETS}
# The same for the commands the tests run, through their environment.
CHEAP_HASHING_ENV = {
    f"CREWBOARD_{name.upper()}": str(value)
    for name, value in {**CHEAP_HASHING, **NO_BUDGETS}.items()
}


def cheap(database_url: str) -> Settings:
    """Settings for a test database: ``CHEAP``, everything else at its default."""
    return Settings(database_url=database_url, **CHEAP)


def production(settings: Settings) -> Settings:
    """``settings`` with production's jobs and hashing cost (the defaults) back."""
    defaults = Settings.model_fields
    return settings.model_copy(update={name: defaults[name].default for name in CHEAP})
