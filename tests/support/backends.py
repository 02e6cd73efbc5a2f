"""Fresh test databases: a SQLite file, or a PostgreSQL database created and dropped by the run."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str:
    """Where tests create their PostgreSQL databases (``CREWBOARD_TEST_POSTGRES_URL``)."""
    return os.environ.get("CREWBOARD_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_required() -> bool:
    """CI sets ``CREWBOARD_TEST_REQUIRE_POSTGRES=1``: a missing PostgreSQL fails the run."""
    return os.environ.get("CREWBOARD_TEST_REQUIRE_POSTGRES", "") not in ("", "0", "false")


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """Create a uniquely named database, yield its URL, drop it afterwards."""
    admin = postgres_admin_url()
    name = f"crewboard_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(asyncpg_dsn(admin), timeout=5)
    try:
        # Identifiers cannot be bound parameters; the name is generated above from hex digits.
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(asyncpg_dsn(admin), timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@asynccontextmanager
async def postgres_or_skip() -> AsyncIterator[str]:
    """``fresh_postgres``; an unreachable server skips the test, or fails it where PostgreSQL
    is required (CI)."""
    manager = fresh_postgres()
    try:
        url = await manager.__aenter__()
    except (OSError, ConnectionError) as exc:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required (CREWBOARD_TEST_REQUIRE_POSTGRES) but: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        yield url
    finally:
        await manager.__aexit__(None, None, None)


def sqlite_url(directory: Path) -> str:
    """A new SQLite file in ``directory``."""
    return f"sqlite+aiosqlite:///{directory / f'crewboard-{uuid.uuid4().hex[:8]}.db'}"
