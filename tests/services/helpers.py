"""Helpers for service tests: actors for people, and reading the event log back."""

from __future__ import annotations

from sqlalchemy import select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Event
from crewboard.services.accounts import AuthService
from crewboard.services.core import ALL_SCOPES, Actor, Scope, unit_of_work


def person(user_id: int, email: str, *, admin: bool = False, read_only: bool = False) -> Actor:
    """The actor a person's full (or read-only) credential resolves to."""
    scopes = frozenset({Scope.READ.value}) if read_only else ALL_SCOPES
    return Actor(user_id=user_id, label=email, is_admin=admin, scopes=scopes)


async def actor_for(database: Database, settings: Settings, token: str) -> Actor:
    """Authenticate a token the way every face does."""
    async with unit_of_work(database, write=False) as session:
        return (await AuthService(session, settings).authenticate(token)).actor


async def events(database: Database, kind: str | None = None) -> list[Event]:
    """The event log, oldest first, optionally of one kind."""
    async with unit_of_work(database, write=False) as session:
        query = select(Event).order_by(Event.id)
        if kind is not None:
            query = query.where(Event.kind == kind)
        return list((await session.scalars(query)).all())
