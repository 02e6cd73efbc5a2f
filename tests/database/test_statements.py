"""The driver-level statements (database/statements.py): every column type crewboard has goes
in and comes out as through the session, inside the unit of work's own transaction, with
SQLAlchemy's errors; on both backends, on the writer and on a reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest
from sqlalchemy import Table, bindparam, insert, inspect, literal, select, update
from sqlalchemy.exc import ArgumentError, IntegrityError

from crewboard.database import Database
from crewboard.database.statements import DRIVER_KEY, Statement, fetch, fetch_one
from crewboard.models import Event, User
from crewboard.models.tasks import Task
from crewboard.services.core import unit_of_work
from tests.support.factory import Factory

EVENTS = cast(Table, Event.__table__)
TASKS = cast(Table, Task.__table__)
USERS = cast(Table, User.__table__)

# Values that a careless conversion would change: a non-UTC offset, microseconds, unicode
# beyond the BMP and line separators, nested JSON with every JSON type, big integers.
AT = datetime(2026, 3, 1, 23, 59, 58, 123456, tzinfo=UTC)
DATA = {
    "text": 'añ 😀 \u2028 "q"',
    "n": 2**53,
    "f": 1.5,
    "ok": True,
    "none": None,
    "list": [1, "a"],
}

_INSERT_EVENT = Statement(
    insert(EVENTS)
    .values(
        project_id=bindparam("p_project"),
        at=bindparam("p_at"),
        actor=bindparam("p_actor"),
        kind="test.kind",
        subject=bindparam("p_subject"),
        data=bindparam("p_data"),
    )
    .returning(EVENTS.c.id, EVENTS.c.at, EVENTS.c.data, EVENTS.c.kind)
)
_EVENT = Statement(select(EVENTS).where(EVENTS.c.id == bindparam("p_id")))
_TASK = Statement(select(TASKS).where(TASKS.c.id == bindparam("p_id")))
_USER = Statement(
    select(USERS.c.id, USERS.c.is_admin, USERS.c.disabled_at, literal(7).label("seven"))
)


async def test_values_round_trip_both_ways(database: Database, factory: Factory) -> None:
    slug_owner = await factory.user("owner@example.com")
    project_id = await factory.project("p", slug_owner)
    # Written on the driver, read through the session.
    async with unit_of_work(database, write=True) as session:
        params = {
            "p_project": project_id,
            "p_at": AT.astimezone(timezone_plus_5()),
            "p_actor": "ä",
            "p_subject": "x" * 200,
            "p_data": DATA,
        }
        row = await fetch_one(session, _INSERT_EVENT, params)
        assert row is not None
        assert (row.at, row.data, row.kind) == (AT, DATA, "test.kind")
        assert isinstance(row.id, int)
    async with unit_of_work(database, write=False) as session:
        event = await session.get(Event, row.id)
        assert event is not None
        assert (event.at, event.data, event.actor, event.subject) == (AT, DATA, "ä", "x" * 200)
        # And read back on the driver of a read transaction (SQLite: a reader thread).
        again = await fetch_one(session, _EVENT, {"p_id": row.id})
        assert again is not None
        assert (again.at, again.data, again.actor, again.project_id) == (AT, DATA, "ä", project_id)


async def test_task_columns_match_the_orm(database: Database, factory: Factory) -> None:
    owner = await factory.user("owner@example.com")
    project_id = await factory.project("p", owner)
    async with unit_of_work(database, write=True) as session:
        task = Task(
            project_id=project_id,
            number=1,
            title="t",
            description="line\nline",
            priority=0,
            files=["a.py", "ü"],
            meta={"k": [1, {"x": None}]},
            version=1,
            created_by="me",
            lease_expires_at=AT + timedelta(days=1),
        )
        session.add(task)
        await session.flush()
        task_id = task.id
    async with unit_of_work(database, write=False) as session:
        orm = await session.get(Task, task_id)
        row = await fetch_one(session, _TASK, {"p_id": task_id})
        assert orm is not None
        assert row is not None
        for attribute in inspect(Task).column_attrs:
            column = attribute.columns[0].key
            assert getattr(row, column) == getattr(orm, attribute.key), column


async def test_booleans_nulls_and_literals(database: Database, factory: Factory) -> None:
    await factory.user("admin@example.com", admin=True)
    async with unit_of_work(database, write=False) as session:
        rows = await fetch(session, _USER)
    assert [(r.is_admin, r.disabled_at, r.seven) for r in rows] == [(True, None, 7)]


async def test_runs_inside_the_unit_of_work(database: Database, factory: Factory) -> None:
    owner = await factory.user("owner@example.com")
    project_id = await factory.project("p", owner)
    params = {"p_project": project_id, "p_at": AT, "p_actor": "a", "p_subject": "s", "p_data": {}}
    row = None
    with pytest.raises(RuntimeError, match="roll back"):  # noqa: PT012 - the body is the test
        async with unit_of_work(database, write=True) as session:
            row = await fetch_one(session, _INSERT_EVENT, params)
            raise RuntimeError("roll back")
    assert row is not None
    async with unit_of_work(database, write=False) as session:
        assert await session.get(Event, row.id) is None  # rolled back with the transaction
        assert DRIVER_KEY in session.sync_session.info  # the unit of work attached its driver
    assert DRIVER_KEY not in session.sync_session.info  # and it was forgotten at the end


async def test_pending_orm_changes_are_flushed_first(database: Database, factory: Factory) -> None:
    owner = await factory.user("owner@example.com")
    project_id = await factory.project("p", owner)
    async with unit_of_work(database, write=True) as session:
        task = Task(project_id=project_id, number=1, title="t", created_by="me")
        session.add(task)
        rows = await fetch(session, Statement(select(TASKS.c.title)))
    assert [r.title for r in rows] == ["t"]


async def test_errors_are_sqlalchemys(database: Database, factory: Factory) -> None:
    owner = await factory.user("owner@example.com")
    project_id = await factory.project("p", owner)
    duplicate = Statement(
        insert(TASKS).values(
            project_id=bindparam("p_project"),
            number=1,
            title="t",
            description="",
            status="pending",
            priority=2,
            files=[],
            metadata={},
            version=1,
            created_by="me",
            created_at=bindparam("p_at"),
            updated_at=bindparam("p_at"),
        )
    )
    params = {"p_project": project_id, "p_at": AT}
    async with unit_of_work(database, write=True) as session:
        await fetch(session, duplicate, params)
    with pytest.raises(IntegrityError):
        async with unit_of_work(database, write=True) as session:
            await fetch(session, duplicate, params)
    # The connection is usable again after the failed transaction.
    async with unit_of_work(database, write=True) as session:
        changed = Statement(
            update(TASKS).where(TASKS.c.number == 1).values(title="u").returning(TASKS.c.title)
        )
        assert [r.title for r in await fetch(session, changed)] == ["u"]


async def test_missing_and_expanding_parameters_are_refused(database: Database) -> None:
    async with unit_of_work(database, write=False) as session:
        with pytest.raises(ArgumentError, match="p_id"):
            await fetch(session, _EVENT)
        expanding = Statement(
            select(EVENTS.c.id).where(EVENTS.c.id.in_(bindparam("p_ids", expanding=True)))
        )
        with pytest.raises(ArgumentError, match="expanding"):
            await fetch(session, expanding, {"p_ids": [1]})


def timezone_plus_5() -> timezone:
    return timezone(timedelta(hours=5))


async def test_constant_lists_are_expanded_once(database: Database, factory: Factory) -> None:
    await factory.user("a@example.com", admin=True)
    await factory.user("b@example.com")
    statement = Statement(
        select(USERS.c.email)
        .where(USERS.c.email.notin_(["b@example.com", "c@example.com"]))
        .where(USERS.c.is_admin == bindparam("p_admin"))
    )
    async with unit_of_work(database, write=False) as session:
        assert [r.email for r in await fetch(session, statement, {"p_admin": True})] == [
            "a@example.com"
        ]
        assert await fetch(session, statement, {"p_admin": False}) == []


async def test_a_python_side_default_must_be_given(database: Database) -> None:
    # SQLAlchemy computes these defaults in its execution context, which the driver path
    # does not run: refused at compile time, never written as NULL.
    partial = Statement(insert(TASKS).values(title=bindparam("p_title")))
    async with unit_of_work(database, write=True) as session:
        with pytest.raises(ArgumentError, match="status"):
            await fetch(session, partial, {"p_title": "t"})
