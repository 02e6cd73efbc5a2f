"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from collections import Counter
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import ForeignKeyConstraint
from sqlalchemy.engine import Connection

from crewboard.database import Database, head_revision
from crewboard.database.migrate import alembic_config
from crewboard.models import Base


def _key(fk: ForeignKeyConstraint) -> tuple[str, tuple[str, ...], str]:
    return (fk.table.name, tuple(c.name for c in fk.columns), fk.referred_table.name)


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    found = list(compare_metadata(context, Base.metadata))
    # SQLite cannot name a foreign key added to an existing table (migration 0003 adds
    # tasks.team_id inline): the same key, unnamed there and named in the models, is no difference.
    added = Counter(_key(d[1]) for d in found if isinstance(d, tuple) and d[0] == "add_fk")
    removed = Counter(_key(d[1]) for d in found if isinstance(d, tuple) and d[0] == "remove_fk")
    renamed = added & removed
    return [
        d
        for d in found
        if not (isinstance(d, tuple) and d[0] in ("add_fk", "remove_fk") and _key(d[1]) in renamed)
    ]


async def test_the_migrated_schema_matches_the_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


def test_the_head_the_code_knows_is_alembics_head() -> None:
    """The server compares the database's revision with ``HEAD`` without loading Alembic;
    a new migration script must move it."""
    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == [head_revision()]
