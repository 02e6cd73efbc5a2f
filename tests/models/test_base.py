"""Column types shared by every table: aware UTC datetimes on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from crewboard.database import Database
from crewboard.models import Base, Event, utcnow
from crewboard.models.base import UTCDateTime
from crewboard.services.core import unit_of_work

IST = timezone(timedelta(hours=5, minutes=30))


async def _store(database: Database, at: datetime) -> int:
    async with unit_of_work(database, write=True) as session:
        event = Event(actor="test", kind="test", subject="clock", data={}, at=at)
        session.add(event)
        await session.flush()
        return event.id


async def _load(database: Database, event_id: int) -> datetime:
    # A fresh session, so the value comes from the database, not the identity map.
    async with unit_of_work(database, write=False) as session:
        at = await session.scalar(select(Event.at).where(Event.id == event_id))
        assert at is not None
        return at


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


async def test_a_utc_datetime_round_trips_exactly(database: Database) -> None:
    at = datetime(2024, 2, 29, 23, 59, 58, 123456, tzinfo=UTC)
    loaded = await _load(database, await _store(database, at))
    assert loaded == at
    assert loaded.tzinfo == UTC
    assert loaded.microsecond == 123456


async def test_another_zone_is_stored_as_the_same_instant_in_utc(database: Database) -> None:
    at = datetime(2024, 6, 1, 8, 0, 0, tzinfo=IST)
    loaded = await _load(database, await _store(database, at))
    assert loaded == at  # the same instant...
    assert loaded.tzinfo == UTC  # ...given back in UTC
    assert (loaded.hour, loaded.minute) == (2, 30)


async def test_a_naive_datetime_is_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        await _store(database, datetime(2024, 1, 1, 12, 0))


async def test_ordering_and_comparison_happen_in_utc(database: Database) -> None:
    """Rows written from different zones compare by instant in SQL (SQLite compares text)."""
    base = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    early = await _store(database, base.astimezone(IST))  # 17:30 local
    late = await _store(database, base + timedelta(hours=1))  # 13:00 UTC
    async with unit_of_work(database, write=False) as session:
        ordered = (await session.scalars(select(Event.id).order_by(Event.at))).all()
        after = (
            await session.scalars(select(Event.id).where(Event.at > base + timedelta(minutes=30)))
        ).all()
    assert list(ordered) == [early, late]
    assert list(after) == [late]


async def test_sqlite_stores_utc_wall_time(database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("SQLite only")
    event_id = await _store(database, datetime(2024, 6, 1, 8, 0, tzinfo=IST))
    async with unit_of_work(database, write=False) as session:
        raw = await session.scalar(text("SELECT at FROM events WHERE id = :id"), {"id": event_id})
    assert str(raw).startswith("2024-06-01 02:30:00")


def test_every_datetime_column_is_utc() -> None:
    columns = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if column.type.python_type is datetime and not isinstance(column.type, UTCDateTime)
    ]
    assert columns == []
