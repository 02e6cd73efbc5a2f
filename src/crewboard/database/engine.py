"""One engine configuration for SQLite and PostgreSQL, and the unit-of-work session.

SQLite: WAL, a busy timeout, foreign keys on, and ``BEGIN IMMEDIATE`` for write
transactions so that two writers queue on the lock instead of failing half-way
(a deferred transaction that upgrades to a write can fail with SQLITE_BUSY at once).
The unit of work's transactions run on engines whose connections work on the event loop's
thread, one for writes and one for reads (see ``crewboard.database.sqlite``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from crewboard.config import Settings
from crewboard.database import sqlite
from crewboard.database.sqlite import WRITE_OPTION

logger = logging.getLogger(__name__)

__all__ = ["WRITE_OPTION", "Database"]


def create_owner_only(path: Path) -> None:
    """Create a missing SQLite file (and its folder) readable by its owner only, whatever the
    umask: it holds password and token hashes and webhook secrets. SQLite gives its -wal and
    -shm files the database file's permissions. An existing file is left as it is."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return


def _refuse_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Checkout: a pooled connection whose server has closed it (a restart, a terminated
    backend) is replaced before use. asyncpg sees the close as soon as the socket does, so this
    costs no round trip; SQLAlchemy's pool retries the checkout with a new connection."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


class Database:
    """Async engines with their session factories; one per process.

    ``engine`` serves everything on PostgreSQL. On SQLite it is the threaded engine (WAL
    checkpoints, migrations, the live bus, the health check), and the unit of work runs on two
    inline engines: ``writer`` for write transactions and ``reader`` for read ones.
    """

    def __init__(self, settings: Settings) -> None:
        url = make_url(settings.database_url)
        self.url = url
        self.is_sqlite = url.get_backend_name() == "sqlite"
        # No pre-ping: on asyncpg it is three round trips (BEGIN, a query, ROLLBACK) per
        # checkout, most of a claim's. A connection the server closed is noticed without one
        # (``_refuse_closed``); see docs/architecture.md.
        kwargs: dict[str, Any] = {}
        kwargs["pool_size"] = settings.db_pool_size
        if self.is_sqlite:
            database = url.database or ""
            if database in ("", ":memory:"):
                raise ValueError("crewboard needs a SQLite file, not an in-memory database")
            create_owner_only(Path(database).expanduser())
            kwargs["connect_args"] = sqlite.connect_args(settings)
        else:
            kwargs["max_overflow"] = settings.db_pool_size
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self.writer: AsyncEngine = self.engine
        if self.is_sqlite:
            sqlite.configure(self.engine, settings, inline=False, writer=False)
            creator = sqlite.inline_creator(str(Path(database).expanduser()))
            # One writer runs at a time (the gate below), so a small pool is plenty.
            self.writer = create_async_engine(url, async_creator=creator, pool_size=2)
            sqlite.configure(self.writer, settings, inline=True, writer=True)
            self.reader: AsyncEngine = create_async_engine(
                url, async_creator=creator, pool_size=settings.db_pool_size
            )
            sqlite.configure(self.reader, settings, inline=True, writer=False)
            self._checkpointer: sqlite.Checkpointer | None = sqlite.Checkpointer(self.engine)
        else:
            self.reader = self.engine
            self._checkpointer = None
            event.listen(self.engine.sync_engine, "checkout", _refuse_closed)
        self._readers = async_sessionmaker(self.reader, expire_on_commit=False)
        self._writers = async_sessionmaker(self.writer, expire_on_commit=False)
        # SQLite's busy handler polls with backoff instead of queueing, so many writers of one
        # process can starve each other past the busy timeout. Queue them here (FIFO) so only
        # one connection per process contends for the file lock; other processes still wait
        # on the busy timeout.
        self._write_gate: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None

    def session(self, write: bool) -> AsyncSession:
        """A new session on the engine for this kind of transaction."""
        return self._writers() if write else self._readers()

    def write_gate(self, write: bool) -> AbstractAsyncContextManager[object]:
        """What a transaction holds around itself: the process's SQLite writer queue, or nothing."""
        if write and self._write_gate is not None:
            return self._write_gate
        return nullcontext()

    def committed(self, write: bool) -> None:
        """Told by the unit of work after each commit (SQLite checkpoints by write count)."""
        if write and self._checkpointer is not None:
            self._checkpointer.committed()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        if self._checkpointer is not None:
            await self._checkpointer.close()
        await self.engine.dispose()
        if self.writer is not self.engine:
            await self.writer.dispose()
        if self.reader is not self.engine:
            await self.reader.dispose()
