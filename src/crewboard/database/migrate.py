"""Bring a database to the newest schema with the Alembic scripts shipped in the package.

Alembic (with Mako, Pygments and every revision script it loads) is imported only when a
database is behind: a server starting on a current schema reads the revision with one query
and never loads it (measured: docs/memory.md).
"""

from __future__ import annotations

import logging
from importlib.resources import files
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from crewboard.database.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every crewboard process.
_PG_MIGRATION_LOCK = 0x63726577  # "crew"

# The newest script in crewboard/migrations/versions; a new migration moves it
# (tests/migrations/test_versions.py checks it against Alembic's own head).
HEAD = "0013"


def alembic_config() -> Config:
    """An Alembic config pointing at ``crewboard/migrations`` inside the installed package."""
    from alembic.config import Config  # loaded only where a migration runs

    cfg = Config()
    cfg.set_main_option("script_location", str(files("crewboard") / "migrations"))
    return cfg


def head_revision() -> str:
    """The newest revision the code knows."""
    return HEAD


def read_revision(conn: Connection) -> str | None:
    """The revision of the database on ``conn``, or None for an empty database (Alembic's
    ``MigrationContext.get_current_revision``, without loading Alembic)."""
    if not inspect(conn).has_table("alembic_version"):  # Alembic's default name, kept by env.py
        return None
    found = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(found) > 1:
        raise RuntimeError(f"the database has {len(found)} schema heads: {sorted(found)}")
    return found[0] if found else None


async def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""
    async with database.engine.connect() as conn:
        return await conn.run_sync(read_revision)


async def migrate(database: Database) -> str:
    """Upgrade to head in one transaction; safe when several processes start at once.

    A database already at head is left as it is, without taking the migration lock.
    """
    if await current_revision(database) != HEAD:
        await _upgrade(database)
    logger.info("database at revision %s", HEAD)
    return HEAD


async def _upgrade(database: Database) -> None:
    from alembic import command  # loaded only where a migration runs

    cfg = alembic_config()

    def _run(conn: Connection) -> None:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")

    async with database.engine.connect() as conn:
        # SQLite: BEGIN IMMEDIATE (asked for here) already serialises migrators.
        await conn.execution_options(crewboard_write=True)
        async with conn.begin():
            if not database.is_sqlite:
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            await conn.run_sync(_run)
