"""SQLite connections for the async engine: the connection pragmas, ``BEGIN IMMEDIATE``,
and the inline connections of the unit of work.

Why inline: aiosqlite runs every statement on a worker thread, and the hand-off there and
back costs 0.2 to 0.7 ms on this kind of machine, several times the statement itself. A
claim's write transaction was mostly hand-offs (SQLite has one writer at a time, so that is a
critical section for the whole process, see ``Database.write_gate``), and so was a read: a
``GET`` of one task spent 2.6 ms in-process through the threads and 1.4 ms inline
(docs/performance.md). So the units of work, writes and reads, run their statements on the
event loop's own thread. A read's rows are turned into objects on the loop in either case;
what moves onto it is SQLite's own time (a read whose SQL is slow holds the loop that long).
The
threaded engine stays for what may run long or touch the disk: WAL checkpoints, migrations,
the live bus's polls and the health check.

What must not happen is the loop sleeping in SQLite's busy handler while *another process*
holds a lock: its write lock, or the exclusive lock it takes while copying the WAL back as it
closes the file's last connection. So the inline connections have a short busy timeout, and
what can meet such a lock (their pragmas, a write's ``BEGIN IMMEDIATE``, a read's ``BEGIN``
with the first read that takes its read lock) is retried with an asyncio sleep between
attempts, up to the configured timeout. Once begun, a WAL reader waits on nothing.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Generator
from functools import partial
from typing import Any, cast

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_

from crewboard.config import Settings

logger = logging.getLogger(__name__)

WRITE_OPTION = "crewboard_write"
_SYNCHRONOUS = {"NORMAL": "PRAGMA synchronous=NORMAL", "FULL": "PRAGMA synchronous=FULL"}
# How long the inline connection lets SQLite itself wait on a lock (blocking the loop).
INLINE_BUSY_MS = 5
# SQLite's own automatic checkpoint runs every 1000 WAL pages; a claim writes about 3.
WAL_CHECKPOINT_COMMITS = 300
# Pauses between BEGIN IMMEDIATE attempts while another process writes (seconds).
_BACKOFF = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's interface, with every call run on the caller's thread (no worker)."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._connect().__await__()

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The sqlite3 connection itself (database/statements.py runs on it directly)."""
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return self._connection

    def stop(self) -> None:
        """Close the sqlite3 connection (there is no thread to stop)."""
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        """Close the connection."""
        self.stop()


def connect_args(settings: Settings) -> dict[str, Any]:
    """sqlite3.connect arguments for the threaded (reader) engine."""
    # isolation_level=None takes BEGIN/COMMIT away from the sqlite3 module: we choose the lock.
    return {"timeout": settings.sqlite_busy_timeout_ms / 1000, "isolation_level": None}


def inline_creator(database: str) -> Callable[[], Any]:
    """An ``async_creator`` for the inline engines (the unit of work's writes and reads)."""
    connector = partial(
        sqlite3.connect,
        database,
        timeout=INLINE_BUSY_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
    )

    async def create() -> InlineConnection:
        return await InlineConnection(connector, iter_chunk_size=64)

    return create


def configure(engine: AsyncEngine, settings: Settings, *, inline: bool, writer: bool) -> None:
    """Per-connection pragmas, and the BEGIN that picks the lock mode: ``inline`` connections
    run on the loop's thread; ``writer`` marks the engine of write transactions."""
    sync_engine = engine.sync_engine
    patience = settings.sqlite_busy_timeout_ms / 1000

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        if not inline:
            # Through aiosqlite's cursor: the sqlite3 connection belongs to its thread.
            cursor = dbapi_connection.cursor()
            try:
                _set_pragmas(cursor, settings, inline)
            finally:
                cursor.close()
            return
        # ``journal_mode`` needs the file's lock: another process closing the file's last
        # connection holds it while it copies the WAL back, so it is waited out politely.
        sqlite = cast(InlineConnection, dbapi_connection.driver_connection).sqlite
        _politely(patience, lambda: _set_pragmas(sqlite, settings, inline), None)

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Unmarked transactions (a bare engine.connect()) write only on the writer engine.
        write = conn.get_execution_options().get(WRITE_OPTION, writer)
        if inline:
            _begin_politely(conn, patience, write=write)
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Checkpointer:
    """Moves the WAL back into the database file every ``every`` write commits, on a
    reader engine's worker thread (the inline writer has automatic checkpoints off)."""

    def __init__(self, engine: AsyncEngine, every: int = WAL_CHECKPOINT_COMMITS) -> None:
        self._engine = engine
        self._every = every
        self._commits = 0
        self._running: asyncio.Task[None] | None = None

    def committed(self) -> None:
        """Count a write commit; start a checkpoint when enough have piled up."""
        self._commits += 1
        if self._commits >= self._every and (self._running is None or self._running.done()):
            self._commits = 0
            self._running = asyncio.get_running_loop().create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            async with self._engine.connect() as conn:
                # Straight on the driver: a checkpoint cannot run inside a transaction, and
                # SQLAlchemy would begin one. PASSIVE never waits on readers or writers.
                raw = await conn.get_raw_connection()
                driver = cast(aiosqlite.Connection, raw.driver_connection)
                async with driver.execute("PRAGMA wal_checkpoint(PASSIVE)") as cursor:
                    busy, pages, moved = await cursor.fetchone() or (0, 0, 0)
                logger.debug("WAL checkpoint: busy=%s, %s pages, %s moved", busy, pages, moved)
        except Exception:
            # The next commit count tries again; the WAL only grows meanwhile.
            logger.exception("WAL checkpoint failed")

    async def close(self) -> None:
        """Wait for a running checkpoint."""
        if self._running is not None:
            await self._running


# A read transaction's first read: it takes the read lock (and the WAL's) at BEGIN, where a
# lock held elsewhere can still be waited out politely.
_FIRST_READ = "SELECT 1 FROM sqlite_master LIMIT 1"


def _set_pragmas(connection: Any, settings: Settings, inline: bool) -> None:
    """The connection's pragmas (``connection``: a sqlite3 connection, or a DB-API cursor)."""
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute(_SYNCHRONOUS[settings.sqlite_synchronous])
    if inline:
        # A checkpoint writes back and fsyncs the database file: not on the event loop.
        # ``Checkpointer`` runs it on a thread of the threaded engine instead.
        connection.execute("PRAGMA wal_autocheckpoint=0")


def _politely(patience: float, action: Callable[[], object], statement: str | None) -> None:
    """Run ``action`` on an inline connection, waiting for another process's lock with
    asyncio sleeps up to ``patience`` seconds: on the loop's thread SQLite itself may wait
    only its 5 ms. A failure is raised as SQLAlchemy would raise ``statement``'s (its class for
    each sqlite3 error: every face maps it, ``is_busy``), or as it came without one."""
    deadline = time.monotonic() + patience
    attempt = 0
    while True:
        try:
            action()
            return
        except sqlite3.Error as exc:
            if not _is_locked(exc) or time.monotonic() >= deadline:
                if statement is None:
                    raise
                raise DBAPIError.instance(statement, (), exc, sqlite3.Error) from exc
        pause = _BACKOFF[min(attempt, len(_BACKOFF) - 1)]
        attempt += 1
        # Runs inside SQLAlchemy's greenlet: await_ hands the pause to the event loop.
        await_(asyncio.sleep(pause))


def _begin_politely(conn: Connection, patience: float, *, write: bool) -> None:
    """BEGIN on an inline connection, waiting for another process's lock politely.

    A write takes the write lock (``BEGIN IMMEDIATE``). A read takes its read lock at once
    with a first read: it can meet a lock too, when another process closing the file's last
    connection copies the WAL back under an exclusive lock. Sent straight to the sqlite3
    connection: through SQLAlchemy's statement machinery the BEGIN cost more than many a
    claim's own statements (database/statements.py).
    """
    inline = cast(InlineConnection, conn.connection.driver_connection).sqlite

    def begin() -> None:
        try:
            if write:
                inline.execute("BEGIN IMMEDIATE")
            else:
                inline.execute("BEGIN")
                inline.execute(_FIRST_READ).fetchall()
        except sqlite3.Error:
            if inline.in_transaction:
                inline.execute("ROLLBACK")
            raise

    _politely(patience, begin, "BEGIN IMMEDIATE" if write else "BEGIN")


def _is_locked(exc: BaseException) -> bool:
    """Whether an error is SQLite's "database is locked" (SQLITE_BUSY)."""
    original = getattr(exc, "orig", exc)
    return isinstance(original, sqlite3.OperationalError) and "locked" in str(original)


def is_busy(exc: BaseException) -> bool:
    """Whether a database error means "busy": SQLite's lock wait ran out (SQLITE_BUSY).

    Every face reports it the same way (HTTP 503 ``busy``, MCP ``error [busy]``, a CLI line),
    as something to retry, not as a failure of the request itself.
    """
    message = str(getattr(exc, "orig", None) or exc)
    return "database is locked" in message or "database is busy" in message
