"""Bring a database to the newest schema with the Alembic scripts shipped in the package."""

from __future__ import annotations

import logging
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from crewboard.database.engine import Database

logger = logging.getLogger(__name__)

# Any constant works; it only has to be the same in every crewboard process.
_PG_MIGRATION_LOCK = 0x63726577  # "crew"


def alembic_config() -> Config:
    """An Alembic config pointing at ``crewboard/migrations`` inside the installed package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(files("crewboard") / "migrations"))
    return cfg


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migration scripts found in the crewboard package")
    return head


async def current_revision(database: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""

    def _read(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    async with database.engine.connect() as conn:
        return await conn.run_sync(_read)


async def migrate(database: Database) -> str:
    """Upgrade to head in one transaction; safe when several processes start at once."""
    cfg = alembic_config()

    def _upgrade(conn: Connection) -> None:
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
            await conn.run_sync(_upgrade)
    head = head_revision()
    logger.info("database at revision %s", head)
    return head
