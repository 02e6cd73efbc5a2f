"""Ceilings: the statements crewboard runs for each workload, straight on the database.

Each ceiling runs the workload's own data statements (captured from the service's SQL with
SQLAlchemy's echo; authentication, the access check, the dependency view and the event
INSERT are left out, so the ratio crewboard ÷ ceiling shows what all of those and the HTTP
stack cost) on one connection, sequentially, one transaction per operation: SQLite through
Python's ``sqlite3`` in ``BEGIN IMMEDIATE … COMMIT`` for writes and ``BEGIN … COMMIT`` for
reads (as crewboard's writer and readers do), PostgreSQL through asyncpg in a plain
transaction. They run on a copy of the seeded database, before the server starts.
"""

# ruff: noqa: S608 - statements are joined from constants and parameter markers only

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

TASK_COLUMNS = (
    "id, project_id, number, title, description, active_form, tracker, owner, status, "
    "priority, blocked_reason, needs_agent, team_id, source_task_id, outcome, files, verified, "
    "lease_expires_at, metadata, version, created_by, created_at, updated_at, completed_at"
)
# The ready queue: pending, unowned, no unfinished blocker (the count the database keeps,
# migration 0012).
READY = (
    "FROM tasks WHERE tasks.project_id = ? AND tasks.status = ? AND tasks.owner IS NULL AND "
    "tasks.open_blocker_count = ? ORDER BY tasks.priority, tasks.id LIMIT ?"
)
TRACKER_ORDER = {
    "in_progress": "tasks.priority, tasks.number",
    "pending": "tasks.priority, tasks.number",
    "blocked": "tasks.priority, tasks.number",
    "completed": "tasks.completed_at DESC, tasks.number DESC",
}
# Built from the constants above and parameter markers only; every value is bound.
SQLITE = {
    "ready": "SELECT " + TASK_COLUMNS + " " + READY + " OFFSET ?",
    "lock_project": "SELECT id FROM projects WHERE id = ? FOR UPDATE",
    "max_number": "SELECT max(number) FROM tasks WHERE project_id = ?",
    "insert_task": "INSERT INTO tasks ("
    + TASK_COLUMNS.removeprefix("id, ")
    + ") VALUES ("
    + ", ".join(["?"] * 23)
    + ") RETURNING id",
    "load_task": "SELECT " + TASK_COLUMNS + " FROM tasks WHERE project_id = ? AND number = ?",
    "update_task": "UPDATE tasks SET title=?, version=?, updated_at=? WHERE tasks.id = ? "
    "AND tasks.version = ?",
    "claim": "UPDATE tasks SET owner=?, status=?, lease_expires_at=?, version=(tasks.version + ?),"
    " updated_at=? WHERE tasks.id = (SELECT tasks.id " + READY + " LOCK) AND tasks.status = ? "
    "AND tasks.owner IS NULL RETURNING " + TASK_COLUMNS,
    "recipient": "SELECT agents.id FROM agents WHERE agents.project_id = ? AND agents.name = ?",
    "insert_message": "INSERT INTO messages (project_id, team_id, sender, kind, body, summary, "
    "request_id, reply_to, approve, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    "insert_delivery": "INSERT INTO deliveries (message_id, recipient, project_id) "
    "VALUES (?, ?, ?)",
    "inbox": "SELECT messages.*, deliveries.* FROM messages JOIN deliveries ON "
    "deliveries.message_id = messages.id WHERE deliveries.project_id = ? AND "
    "deliveries.recipient = ? AND deliveries.message_id > ? AND deliveries.read_at IS NULL "
    "ORDER BY deliveries.message_id LIMIT ?",
    # A section is two queries, as the service runs it: the agent's tracker, then the shared
    # tasks it holds (each on its own index).
    "tracker": "SELECT " + TASK_COLUMNS + " FROM tasks WHERE tasks.project_id = ? AND "
    "tasks.tracker = ? AND tasks.status = ? ORDER BY SECTION_ORDER LIMIT ? OFFSET ?",
    "tracker_shared": "SELECT " + TASK_COLUMNS + " FROM tasks WHERE tasks.project_id = ? AND "
    "tasks.tracker IS NULL AND tasks.owner = ? AND tasks.status = ? "
    "ORDER BY SECTION_ORDER LIMIT ? OFFSET ?",
}


def _dollars(sql: str) -> str:
    """``?`` markers as asyncpg's ``$1, $2, …`` (no statement holds a literal ``?``)."""
    parts = sql.split("?")
    return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))


# The claim on SQLite runs under the write lock; PostgreSQL's skips rows another claimer
# holds, exactly as the service's does.
POSTGRES = {
    name: _dollars(sql).replace(" LOCK)", " FOR UPDATE OF tasks SKIP LOCKED)")
    for name, sql in SQLITE.items()
}
SQLITE = {name: sql.replace(" LOCK)", ")") for name, sql in SQLITE.items()}
READY_ARGS = (1, "pending", 0, 51, 0)
CLAIM_WHERE = (1, "pending", 0, 1, "pending")
Op = Callable[[int], bool]
CONCURRENT = 16  # connections of PostgreSQL's concurrent claim ceiling


def _task_row(number: int, now: object) -> tuple[object, ...]:
    return (
        1,
        number,
        f"ceiling {number}",
        "",
        None,
        None,
        None,
        "pending",
        1,
        None,
        None,
        None,
        None,
        None,
        "[]",
        None,
        None,
        "{}",
        1,
        "ceiling",
        now,
        now,
        None,
    )


def _message_row(i: int, now: object) -> tuple[object, ...]:
    return (1, None, "agent-0", "message", f"ceiling {i}", "bench", None, None, None, now)


def _rate(op: Op, seconds: float, cap: int) -> float:
    """Operations per second of ``op(i)`` for ``seconds`` (fewer when it returns False)."""
    done = 0
    started = time.perf_counter()
    while done < cap and time.perf_counter() - started < seconds:
        if not op(done):
            break
        done += 1
    return done / (time.perf_counter() - started)


def sqlite_ceilings(
    path: Path, seconds: float, *, reader: str, sink: str, only: tuple[str, ...] = ()
) -> dict[str, float]:
    """Transactions per second of each workload's statements (or ``only`` some) on the
    SQLite file ``path``."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")

    def tx(mode: str, body: Callable[[], bool]) -> bool:
        conn.execute(mode)
        ok = body()
        conn.execute("COMMIT")
        return ok

    def stamp(delta: float = 0.0) -> str:
        return (datetime.now(UTC) + timedelta(seconds=delta)).strftime("%Y-%m-%d %H:%M:%S.%f")

    tasks = int(conn.execute("SELECT count(*) FROM tasks").fetchone()[0])
    versions: dict[int, int] = {}

    def ready(_: int) -> bool:
        return tx("BEGIN", lambda: bool(conn.execute(SQLITE["ready"], READY_ARGS).fetchall()))

    def create(_: int) -> bool:
        def body() -> bool:
            top = conn.execute(SQLITE["max_number"], (1,)).fetchone()[0] or 0
            return bool(conn.execute(SQLITE["insert_task"], _task_row(top + 1, stamp())).fetchone())

        return tx("BEGIN IMMEDIATE", body)

    def update(i: int) -> bool:
        number = i % tasks + 1

        def body() -> bool:
            row = conn.execute(SQLITE["load_task"], (1, number)).fetchone()
            version = versions.get(number, row[19])
            args = (f"renamed {i}", version + 1, stamp(), row[0], version)
            versions[number] = version + 1
            return conn.execute(SQLITE["update_task"], args).rowcount == 1

        return tx("BEGIN IMMEDIATE", body)

    def claim(i: int) -> bool:
        args = (f"raw-{i % 64}", "in_progress", stamp(1800), 1, stamp(), *CLAIM_WHERE)

        def body() -> bool:
            return conn.execute(SQLITE["claim"], args).fetchone() is not None

        return tx("BEGIN IMMEDIATE", body)

    def send(i: int) -> bool:
        def body() -> bool:
            conn.execute(SQLITE["recipient"], (1, sink)).fetchone()
            message = conn.execute(SQLITE["insert_message"], _message_row(i, stamp())).fetchone()
            conn.execute(SQLITE["insert_delivery"], (message[0], sink, 1))
            return True

        return tx("BEGIN IMMEDIATE", body)

    def inbox(_: int) -> bool:
        def body() -> bool:
            return bool(conn.execute(SQLITE["inbox"], (1, reader, 0, 51)).fetchall())

        return tx("BEGIN", body)

    def tracker(_: int) -> bool:
        def body() -> bool:
            for status, order in TRACKER_ORDER.items():
                for half in ("tracker", "tracker_shared"):
                    sql = SQLITE[half].replace("SECTION_ORDER", order)
                    conn.execute(sql, (1, reader, status, 5000, 0)).fetchall()
            return True

        return tx("BEGIN", body)

    ops: dict[str, Op] = {
        "ready": ready,
        "create": create,
        "update": update,
        "claim": claim,
        "send": send,
        "inbox": inbox,
        "tracker": tracker,
    }
    try:
        return {
            name: _rate(op, seconds, cap=10**7)
            for name, op in ops.items()
            if not only or name in only
        }
    finally:
        conn.close()


async def _async_rate(op: Callable[[int], Awaitable[bool]], seconds: float) -> float:
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if not await op(done):
            break
        done += 1
    return done / (time.perf_counter() - started)


async def postgres_ceilings(
    dsn: str, seconds: float, *, reader: str, sink: str
) -> dict[str, float]:
    """Transactions per second of each workload's statements on the PostgreSQL ``dsn``."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    tasks = int(await conn.fetchval("SELECT count(*) FROM tasks"))
    versions: dict[int, int] = {}

    def now(delta: float = 0.0) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=delta)

    async def ready(_: int) -> bool:
        async with conn.transaction():
            return bool(await conn.fetch(POSTGRES["ready"], *READY_ARGS))

    async def create(_: int) -> bool:
        async with conn.transaction():
            await conn.fetchval(POSTGRES["lock_project"], 1)  # how the service numbers tasks
            top = await conn.fetchval(POSTGRES["max_number"], 1) or 0
            return bool(await conn.fetchval(POSTGRES["insert_task"], *_task_row(top + 1, now())))

    async def update(i: int) -> bool:
        number = i % tasks + 1
        async with conn.transaction():
            row = await conn.fetchrow(POSTGRES["load_task"], 1, number)
            version = versions.get(number, row["version"])
            versions[number] = version + 1
            done = await conn.execute(
                POSTGRES["update_task"], f"renamed {i}", version + 1, now(), row["id"], version
            )
            return bool(done == "UPDATE 1")

    async def claim(i: int) -> bool:
        async with conn.transaction():
            row = await conn.fetchrow(
                POSTGRES["claim"], f"raw-{i % 64}", "in_progress", now(1800), 1, now(), *CLAIM_WHERE
            )
            return row is not None

    async def send(i: int) -> bool:
        async with conn.transaction():
            await conn.fetchval(POSTGRES["recipient"], 1, sink)
            message = await conn.fetchval(POSTGRES["insert_message"], *_message_row(i, now()))
            await conn.execute(POSTGRES["insert_delivery"], message, sink, 1)
            return True

    async def inbox(_: int) -> bool:
        async with conn.transaction():
            return bool(await conn.fetch(POSTGRES["inbox"], 1, reader, 0, 51))

    async def tracker(_: int) -> bool:
        async with conn.transaction():
            for status, order in TRACKER_ORDER.items():
                for half in ("tracker", "tracker_shared"):
                    sql = POSTGRES[half].replace("SECTION_ORDER", order)
                    await conn.fetch(sql, 1, reader, status, 5000, 0)
            return True

    async def claimers(connections: int) -> float:
        """Claims/s of ``connections`` connections at once: PostgreSQL commits in groups, so
        one connection's rate (bound by the commit's flush) is no ceiling for many clients."""
        pool = [await asyncpg.connect(dsn) for _ in range(connections)]
        made = 0

        async def loop(c: asyncpg.Connection) -> None:
            nonlocal made
            while time.perf_counter() - started < seconds:
                async with c.transaction():
                    row = await c.fetchrow(
                        POSTGRES["claim"], "raw", "in_progress", now(1800), 1, now(), *CLAIM_WHERE
                    )
                if row is None:
                    return
                made += 1

        started = time.perf_counter()
        try:
            await asyncio.gather(*(loop(c) for c in pool))
            return made / (time.perf_counter() - started)
        finally:
            for c in pool:
                await c.close()

    ops = {
        "ready": ready,
        "create": create,
        "update": update,
        "claim": claim,
        "send": send,
        "inbox": inbox,
        "tracker": tracker,
    }
    try:
        rates = {name: await _async_rate(op, seconds) for name, op in ops.items()}
        rates[f"claim_{CONCURRENT}"] = await claimers(CONCURRENT)
        return rates
    finally:
        await conn.close()


def run_postgres_ceilings(dsn: str, seconds: float, *, reader: str, sink: str) -> dict[str, float]:
    """``postgres_ceilings`` from synchronous code."""
    return asyncio.run(postgres_ceilings(dsn, seconds, reader=reader, sink=sink))
