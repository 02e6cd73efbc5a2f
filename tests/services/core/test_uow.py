"""The unit of work: commit on success, roll back on failure, keep what a refusal must keep."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from crewboard.database import Database
from crewboard.models import Event, Project, User
from crewboard.services.accounts import UserService
from crewboard.services.core import (
    Actor,
    Conflict,
    Unauthenticated,
    record_event,
    unit_of_work,
)
from crewboard.services.core.events import write_pending_events
from tests.support.statements import counted

SYSTEM = Actor.system()


async def _emails(database: Database) -> list[str]:
    async with unit_of_work(database, write=False) as session:
        return list((await session.scalars(select(User.email).order_by(User.id))).all())


async def _event_count(database: Database) -> int:
    async with unit_of_work(database, write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Event)) or 0)


async def test_success_commits(database: Database) -> None:
    async with unit_of_work(database, write=True) as session:
        await UserService(session).create(SYSTEM, email="ann@example.com")
    assert await _emails(database) == ["ann@example.com"]
    assert await _event_count(database) == 1


async def _create_then_fail(database: Database, error: Exception) -> None:
    async with unit_of_work(database, write=True) as session:
        await UserService(session).create(SYSTEM, email="ann@example.com")
        raise error


async def test_an_unexpected_error_rolls_everything_back(database: Database) -> None:
    with pytest.raises(RuntimeError):
        await _create_then_fail(database, RuntimeError("boom"))
    assert await _emails(database) == []
    assert await _event_count(database) == 0


async def test_a_domain_error_rolls_back_by_default(database: Database) -> None:
    with pytest.raises(Conflict):
        await _create_then_fail(database, Conflict("refused"))
    assert await _emails(database) == []


async def test_a_domain_error_flagged_keep_changes_commits_then_raises(
    database: Database,
) -> None:
    error = Unauthenticated("refused, but counted")
    error.keep_changes = True
    with pytest.raises(Unauthenticated) as caught:
        await _create_then_fail(database, error)
    assert caught.value is error
    assert await _emails(database) == ["ann@example.com"]
    assert await _event_count(database) == 1


async def test_work_is_invisible_to_others_until_commit(database: Database) -> None:
    async with unit_of_work(database, write=True) as session:
        await UserService(session).create(SYSTEM, email="ann@example.com")
        await session.flush()
        assert await _emails(database) == []  # another connection sees nothing yet
    assert await _emails(database) == ["ann@example.com"]


async def test_a_read_unit_of_work_does_not_take_the_write_lock(database: Database) -> None:
    """On SQLite a read transaction is a plain BEGIN, so a writer can commit meanwhile."""
    async with unit_of_work(database, write=False) as reader:
        await reader.execute(text("SELECT count(*) FROM users"))
        async with unit_of_work(database, write=True) as session:
            await UserService(session).create(SYSTEM, email="ann@example.com")
    assert await _emails(database) == ["ann@example.com"]


async def test_several_events_are_written_in_one_statement_in_order(database: Database) -> None:
    """Project events and instance events (no project) mixed: still one INSERT (the ORM's
    bulk insert split such rows into runs), ids in the order they were recorded."""
    async with unit_of_work(database, write=True) as session:
        project = Project(slug="alpha", name="alpha")
        session.add(project)
        await session.flush()
        kinds = [f"test.{i}" for i in range(6)]
        for i, kind in enumerate(kinds):
            where = project.id if i % 2 else None
            record_event(session, SYSTEM, kind, "x", {"i": i}, project_id=where)
        with counted() as sent:
            await write_pending_events(session)
    inserts = [s for s in sent if s.lstrip().upper().startswith("INSERT INTO EVENTS")]
    assert len(inserts) == 1
    # One more on PostgreSQL: the live bus's wake-up.
    assert len(sent) == (1 if database.is_sqlite else 2)
    async with unit_of_work(database, write=False) as session:
        stored = (
            await session.execute(select(Event.kind, Event.project_id).order_by(Event.id))
        ).all()
    assert [(kind, project_id is not None) for kind, project_id in stored] == [
        (kind, i % 2 == 1) for i, kind in enumerate(kinds)
    ]
