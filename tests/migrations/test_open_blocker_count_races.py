"""``tasks.open_blocker_count`` where writers meet (migration 0012): on PostgreSQL an edge and
its blocker's status change in two transactions, two blockers finishing together; on both
backends deletions of many rows at once, and the writes the triggers refuse or reset."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from crewboard.config import Settings
from crewboard.database import Database
from tests.migrations.test_open_blocker_count import _stored
from tests.support.database import written
from tests.support.factory import Factory
from tests.support.world import build_world

ADD = "INSERT INTO task_dependencies (task_id, blocked_by_id) VALUES (:w, :b)"
REMOVE = "DELETE FROM task_dependencies WHERE task_id = :w AND blocked_by_id = :b"
STATUS = "UPDATE tasks SET status = :status WHERE id = :b"


async def _ids(database: Database) -> dict[int, int]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT number, id FROM tasks"))).all()
    return {int(row[0]): int(row[1]) for row in rows}


async def _sql(database: Database, statement: str, **params: Any) -> None:
    async with written(database) as conn:
        await conn.execute(text(statement), params)


def _postgresql_only(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite runs one write transaction at a time")


# (the blocker's status before, the edge's change, the blocker's new status)
RACES = [
    (before, edge, after)
    for edge in (ADD, REMOVE)
    for before, after in (("pending", "completed"), ("completed", "pending"))
]


@pytest.mark.parametrize("edge_first", [True, False], ids=["edge-first", "status-first"])
@pytest.mark.parametrize(
    ("before", "edge", "after"),
    RACES,
    ids=[f"{'add' if e == ADD else 'remove'}-{b}-to-{a}" for b, e, a in RACES],
)
async def test_an_edge_and_its_blockers_new_status_never_pass_each_other(
    factory: Factory,
    database: Database,
    settings: Settings,
    before: str,
    edge: str,
    after: str,
    edge_first: bool,
) -> None:
    """Whichever commits first, the second waits for it and the count ends right: completing
    or reopening a blocker while an edge to it is added or removed in another transaction."""
    _postgresql_only(database)
    world = await build_world(factory, database, settings)
    await world.task("blocker")
    await world.task("waiting", blocked_by=[1] if edge == REMOVE else [])
    ids = await _ids(database)
    await _sql(database, STATUS, status=before, b=ids[1])
    params = {"w": ids[2], "b": ids[1], "status": after}
    steps = [(text(edge), params), (text(STATUS), params)]
    if not edge_first:
        steps.reverse()
    async with database.engine.connect() as one, database.engine.connect() as two:
        await one.begin()
        await two.begin()
        await one.execute(*steps[0])
        late = asyncio.ensure_future(two.execute(*steps[1]))
        await asyncio.sleep(0.3)
        assert not late.done(), "the second writer should wait for the first one's lock"
        await one.commit()
        await late
        await two.commit()
    stored = await _stored(database)
    assert stored[2] == (1 if edge == ADD and after == "pending" else 0)


async def test_two_blockers_finishing_together_do_not_deadlock(
    factory: Factory, database: Database, settings: Settings
) -> None:
    """A and C both block B and D. With a board big enough that PostgreSQL walks the edge
    index, completing A locked B then D, and C, D then B: with a third writer holding D, one
    of the two deadlocked. The waiting tasks are now locked in id order."""
    _postgresql_only(database)
    world = await build_world(factory, database, settings)
    for name in ("A", "C", "B", "D"):
        await world.task(name)
    ids = await _ids(database)
    a, c, b, d = ids[1], ids[2], ids[3], ids[4]
    columns = (
        "project_id, title, description, status, priority, metadata, version, created_by, "
        "created_at, updated_at, files"
    )
    async with database.engine.connect() as conn, conn.begin():
        await conn.execute(
            text(
                f"INSERT INTO tasks (number, {columns}) SELECT 100 + g, {columns} "  # noqa: S608 - fixed column names
                "FROM tasks, generate_series(1, 20000) g WHERE number = 1"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO task_dependencies (task_id, blocked_by_id) "
                "SELECT t.id, t.id - 1 FROM tasks t WHERE t.number > 101"
            )
        )
        for waiting, blocker in ((b, a), (d, a), (d, c), (b, c)):
            await conn.execute(text(ADD), {"w": waiting, "b": blocker})
        await conn.execute(text("ANALYZE tasks"))
        await conn.execute(text("ANALYZE task_dependencies"))
    finish = text("UPDATE tasks SET status = 'completed' WHERE id = :b")
    async with (
        database.engine.connect() as one,
        database.engine.connect() as two,
        database.engine.connect() as three,
    ):
        for conn in (one, two, three):
            await conn.begin()
        await three.execute(text("UPDATE tasks SET title = 'held' WHERE id = :d"), {"d": d})
        second = asyncio.ensure_future(two.execute(finish, {"b": c}))
        await asyncio.sleep(0.3)
        first = asyncio.ensure_future(one.execute(finish, {"b": a}))
        await asyncio.sleep(0.3)
        assert not first.done()
        assert not second.done()
        await three.commit()
        # Whichever got both waiting tasks first finishes; the other waits for its commit.
        done, _ = await asyncio.wait({first, second}, timeout=10, return_when="FIRST_COMPLETED")
        assert len(done) == 1
        (winner,) = done
        winner.result()  # a deadlock would be raised here
        await (one if winner is first else two).commit()
        loser = second if winner is first else first
        await asyncio.wait_for(loser, 10)
        await (two if winner is first else one).commit()
    counts = await _stored(database)
    assert (counts[3], counts[4]) == (0, 0)


async def test_one_statement_deletes_blockers_with_tasks_waiting_on_them(
    factory: Factory, database: Database, settings: Settings
) -> None:
    """PostgreSQL refused such a delete ("tuple to be deleted was already modified") while a
    trigger updated, before the delete, a waiting task the same statement deleted next."""
    world = await build_world(factory, database, settings)
    await world.task("blocker")
    await world.task("waits, deleted with it", blocked_by=[1])
    await world.task("waits, stays", blocked_by=[1, 2])
    await world.task("done blocker")
    await world.task("waits on the done one", blocked_by=[4])
    ids = await _ids(database)
    await _sql(database, STATUS, status="completed", b=ids[4])
    assert await _stored(database) == {1: 0, 2: 1, 3: 2, 4: 0, 5: 0}
    await _sql(database, "DELETE FROM tasks WHERE id IN (:a, :b, :c)", a=ids[1], b=ids[2], c=ids[4])
    assert await _stored(database) == {3: 0, 5: 0}
    await _sql(database, "DELETE FROM projects")
    assert await _stored(database) == {}


async def test_an_edge_is_never_updated_in_place(
    factory: Factory, database: Database, settings: Settings
) -> None:
    world = await build_world(factory, database, settings)
    await world.task("open")
    await world.task("done")
    await world.task("waits", blocked_by=[2])
    ids = await _ids(database)
    await _sql(database, STATUS, status="completed", b=ids[2])
    with pytest.raises(DBAPIError, match="never updated"):
        await _sql(
            database,
            "UPDATE task_dependencies SET blocked_by_id = :b WHERE task_id = :w",
            b=ids[1],
            w=ids[3],
        )
    assert await _stored(database) == {1: 0, 2: 0, 3: 0}


async def test_truncating_the_edges_sets_every_count_to_nothing(
    factory: Factory, database: Database, settings: Settings
) -> None:
    _postgresql_only(database)
    world = await build_world(factory, database, settings)
    await world.task("blocker")
    await world.task("waits", blocked_by=[1])
    await _sql(database, "TRUNCATE task_dependencies")
    assert await _stored(database) == {1: 0, 2: 0}
