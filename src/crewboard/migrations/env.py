"""Alembic environment: the connection crewboard hands over, or CREWBOARD_DATABASE_URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from crewboard.config import Settings
from crewboard.database.engine import Database
from crewboard.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    database = Database(Settings())
    try:
        async with database.engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await database.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_standalone())
