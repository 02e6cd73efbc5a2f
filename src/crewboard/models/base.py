"""Declarative base, naming conventions and column types shared by every table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, Dialect, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY, so big ids are INTEGER there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


# Set only by ``clock_at`` (the demo replays days of past work through the real services, so
# its events carry those days); unset everywhere else, where "now" is the wall clock.
_PINNED: ContextVar[datetime | None] = ContextVar("crewboard_pinned_now", default=None)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (or the moment ``clock_at`` pinned)."""
    pinned = _PINNED.get()
    return datetime.now(UTC) if pinned is None else pinned


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Run the code inside as if it were ``moment`` (aware, not in the future)."""
    if moment.tzinfo is None or moment > datetime.now(UTC):
        raise ValueError("clock_at takes an aware moment that is not in the future")
    token = _PINNED.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _PINNED.reset(token)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores naive text, so we re-attach UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every crewboard table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }
