"""One engine configuration for SQLite and PostgreSQL, and the unit-of-work session.

SQLite: WAL, a busy timeout, foreign keys on, and ``BEGIN IMMEDIATE`` for write
transactions so that two writers queue on the lock instead of failing half-way
(a deferred transaction that upgrades to a write can fail with SQLITE_BUSY at once).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from crewboard.config import Settings

logger = logging.getLogger(__name__)

WRITE_OPTION = "crewboard_write"
_SYNCHRONOUS = {"NORMAL": "PRAGMA synchronous=NORMAL", "FULL": "PRAGMA synchronous=FULL"}


class Database:
    """An async engine with its session factory; one per process."""

    def __init__(self, settings: Settings) -> None:
        url = make_url(settings.database_url)
        self.url = url
        self.is_sqlite = url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"pool_pre_ping": not self.is_sqlite}
        if self.is_sqlite:
            database = url.database or ""
            if database in ("", ":memory:"):
                raise ValueError("crewboard needs a SQLite file, not an in-memory database")
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["pool_size"] = settings.db_pool_size
            kwargs["connect_args"] = {"timeout": settings.sqlite_busy_timeout_ms / 1000}
        else:
            kwargs["pool_size"] = settings.db_pool_size
            kwargs["max_overflow"] = settings.db_pool_size
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine, settings)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite's busy handler polls with backoff instead of queueing, so many writers of one
        # process can starve each other past the busy timeout. Queue them here (FIFO) so only
        # one connection per process contends for the file lock; other processes still wait
        # on the busy timeout.
        self._write_gate: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None

    def write_gate(self, write: bool) -> AbstractAsyncContextManager[object]:
        """What a transaction holds around itself: the process's SQLite writer queue, or nothing."""
        if write and self._write_gate is not None:
            return self._write_gate
        return nullcontext()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine, settings: Settings) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN/COMMIT away from the sqlite3 module so that we choose the lock mode.
        dbapi_connection.isolation_level = None
        # The busy timeout itself is set by sqlite3's ``timeout`` connect argument.
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(_SYNCHRONOUS[settings.sqlite_synchronous])
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
