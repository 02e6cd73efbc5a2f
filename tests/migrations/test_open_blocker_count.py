"""``tasks.open_blocker_count``, kept by the database's triggers (migration 0012), always equals the
number of unfinished tasks a task waits on: whatever writes the rows, on both backends."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

import crewboard
from crewboard.config import Settings
from crewboard.database import Database
from crewboard.database.migrate import alembic_config
from crewboard.services.core import NotFound, unit_of_work
from crewboard.services.tasks import ClaimScope, Status, TaskChange, Tasks
from crewboard.services.tasks.rules import RESOLVED
from tests.support.database import written
from tests.support.factory import Factory
from tests.support.world import SLUG, build_world

MIGRATION = Path(crewboard.__file__).parent / "migrations/versions/0012_open_blocker_count.py"
# Every task's stored count beside the count computed from the edges.
_COUNTS = text(
    """SELECT t.number, t.open_blocker_count, (
        SELECT count(*) FROM task_dependencies d JOIN tasks b ON b.id = d.blocked_by_id
        WHERE d.task_id = t.id AND b.status NOT IN ('completed', 'cancelled')) AS computed
    FROM tasks t ORDER BY t.number"""
)


async def _counts(database: Database) -> dict[int, tuple[int, int]]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(_COUNTS)).all()
    return {r.number: (r.open_blocker_count, r.computed) for r in rows}


async def _stored(database: Database) -> dict[int, int]:
    counts = await _counts(database)
    assert all(stored == computed for stored, computed in counts.values()), counts
    return {number: stored for number, (stored, _) in counts.items()}


def test_the_triggers_know_the_finished_statuses() -> None:
    """The migration writes the finished statuses into its triggers as SQL: they must be the
    rule's own list, and no other list may appear there."""
    source = MIGRATION.read_text(encoding="utf-8")
    written_lists = set(re.findall(r"IN \(('[a-z_]+'(?:, '[a-z_]+')*)\)", source))
    assert written_lists == {", ".join(f"'{status}'" for status in RESOLVED)}


async def test_the_services_keep_the_count(
    factory: Factory, database: Database, settings: Settings
) -> None:
    world = await build_world(factory, database, settings)
    await world.task("b")
    await world.task("c")
    await world.task("a", blocked_by=[1, 2])
    assert (await _stored(database))[3] == 2

    async def run(number: int, change: TaskChange) -> None:
        async with unit_of_work(database, write=True) as session:
            await Tasks(session, settings).update(world.lead, SLUG, number, change)

    await run(1, TaskChange(status=Status.COMPLETED))
    assert (await _stored(database))[3] == 1
    await run(2, TaskChange(status=Status.CANCELLED))
    assert (await _stored(database))[3] == 0
    await run(2, TaskChange(status=Status.PENDING))
    assert (await _stored(database))[3] == 1
    async with unit_of_work(database, write=True) as session:
        await Tasks(session, settings).remove_blocker(world.lead, SLUG, 3, 2)
    assert (await _stored(database))[3] == 0
    # A finished blocker does not count; an unfinished one added later does.
    await world.task("d")
    async with unit_of_work(database, write=True) as session:
        await Tasks(session, settings).add_blockers(world.lead, SLUG, 3, [1, 4])
    assert (await _stored(database))[3] == 1


async def test_a_claim_skips_what_waits_and_takes_it_once_free(
    factory: Factory, database: Database, settings: Settings
) -> None:
    world = await build_world(factory, database, settings)
    await world.task("blocker", priority=3)
    for i in range(5):
        await world.task(f"waits {i}", priority=0, blocked_by=[1])

    async def claim(agent: str) -> int:
        async with unit_of_work(database, write=True) as session:
            view = await Tasks(session, settings).claim_next(
                world.actors[agent], SLUG, ClaimScope(anywhere=True)
            )
            return view.task.number

    # The five urgent tasks all wait: the least urgent, ready one is taken.
    assert await claim("backend") == 1
    with pytest.raises(NotFound):
        await claim("frontend")
    async with unit_of_work(database, write=True) as session:
        await Tasks(session, settings).complete(world.actors["backend"], SLUG, 1, outcome="done")
    assert [await claim("frontend") for _ in range(5)] == [2, 3, 4, 5, 6]


async def _random_step(conn: AsyncConnection, rng: random.Random, ids: list[int]) -> None:
    """One change straight in SQL, as a writer the services do not know would make it."""
    kind = rng.choice(["edge", "edge", "unedge", "status", "status", "delete"])
    if kind == "edge":
        waiting, blocker = rng.sample(ids, 2)
        # Cycles do not matter to the count; only the primary key is respected.
        await conn.execute(
            text(
                "INSERT INTO task_dependencies (task_id, blocked_by_id) "
                "SELECT :w, :b WHERE NOT EXISTS (SELECT 1 FROM task_dependencies "
                "WHERE task_id = :w AND blocked_by_id = :b)"
            ),
            {"w": waiting, "b": blocker},
        )
    elif kind == "unedge":
        await conn.execute(
            text("DELETE FROM task_dependencies WHERE task_id = :w"), {"w": rng.choice(ids)}
        )
    elif kind == "status":
        status = rng.choice(["pending", "in_progress", "blocked", "completed", "cancelled"])
        await conn.execute(
            text("UPDATE tasks SET status = :s WHERE id = :id"),
            {"s": status, "id": rng.choice(ids)},
        )
    elif len(ids) > 3:
        victim = ids.pop(rng.randrange(len(ids)))
        await conn.execute(text("DELETE FROM tasks WHERE id = :id"), {"id": victim})


async def test_any_sequence_of_writes_in_sql_keeps_the_count(
    factory: Factory, database: Database, settings: Settings
) -> None:
    world = await build_world(factory, database, settings)
    for i in range(12):
        await world.task(f"t{i}")
    async with database.engine.connect() as conn:
        ids = list((await conn.execute(text("SELECT id FROM tasks ORDER BY id"))).scalars())
    rng = random.Random(18)  # noqa: S311 - a reproducible sequence, not a secret
    for _ in range(300):
        async with written(database) as conn:
            await _random_step(conn, rng, ids)
        await _stored(database)


async def test_the_upgrade_counts_the_edges_there_are(
    factory: Factory, database: Database, settings: Settings
) -> None:
    """Down to 0011 and up again: the upgrade's backfill counts each task's open blockers."""
    from alembic import command

    world = await build_world(factory, database, settings)
    await world.task("open")
    await world.task("done")
    await world.task("waits on both", blocked_by=[1, 2])
    await world.task("waits on one", blocked_by=[1])
    async with unit_of_work(database, write=True) as session:
        await Tasks(session, settings).update(
            world.lead, SLUG, 2, TaskChange(status=Status.COMPLETED)
        )
    cfg = alembic_config()

    def move(conn: object, target: str, up: bool) -> None:
        cfg.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(cfg, target)

    try:
        for target, up in (("0011", False), ("head", True)):
            async with written(database) as conn:
                await conn.run_sync(move, target, up)
            if not up:
                async with database.engine.connect() as conn:
                    columns = await conn.run_sync(
                        lambda c: [col["name"] for col in inspect(c).get_columns("tasks")]
                    )
                assert "open_blocker_count" not in columns
    finally:
        # The session's engines keep their pooled connections across the schema change.
        await database.engine.dispose()
        await database.writer.dispose()
        await database.reader.dispose()
    assert await _stored(database) == {1: 0, 2: 0, 3: 1, 4: 1}
