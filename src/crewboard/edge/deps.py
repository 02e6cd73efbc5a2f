"""FastAPI dependencies: the database session (one unit of work per request) and the actor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.edge.credentials import REST, SAFE_METHODS, read_credential
from crewboard.edge.csrf import check_header_csrf
from crewboard.edge.last_use import record_last_use
from crewboard.edge.resolve import resolve_actor
from crewboard.services.core import Actor, Unauthenticated, unit_of_work


def database_of(request: Request) -> Database:
    """The process's database (created by the app's lifespan)."""
    database: Database = request.app.state.database
    return database


def settings_of(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def writes(request: Request) -> bool:
    """Whether the request's unit of work is a write transaction (every method that changes)."""
    return request.method not in SAFE_METHODS


# Dependencies are coroutines on purpose: FastAPI runs a plain ``def`` dependency in a worker
# thread, and that hop would sit inside a write transaction (SQLite's critical section).
async def get_database(request: Request) -> Database:
    """The process's database, as a dependency."""
    return database_of(request)


async def get_settings(request: Request) -> Settings:
    """The app's settings, as a dependency."""
    return settings_of(request)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's transaction: a write transaction for every method that changes state.

    ``scope="function"`` (below) commits before the response is sent, so a 2xx always
    means the change is durable, and a failed commit becomes an error response. A read's
    deferred last-use write runs after its connection is back in the pool (edge.last_use).
    """
    database = database_of(request)
    async with unit_of_work(database, write=writes(request)) as session:
        yield session
    await record_last_use(database, settings_of(request), session)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_optional_actor(request: Request, session: SessionDep) -> Actor | None:
    """The authenticated actor, or None for an anonymous request (same transaction)."""
    return await _authenticate(request, session)


async def _authenticate(request: Request, session: AsyncSession) -> Actor | None:
    credential = read_credential(request, REST)
    if credential is None:
        return None
    write = writes(request)
    # The project the path names, if any: its access is read with the credential.
    slug = request.path_params.get("slug")
    actor = await resolve_actor(
        session, settings_of(request), credential, REST, write=write, budgets=None, slug=slug
    )
    if write:
        check_header_csrf(request, credential)
        # Charged after the CSRF check: a forged post must not spend its victim's budget.
        if actor.session_id is not None:
            request.app.state.budgets.write(actor.session_id)
    return actor


OptionalActorDep = Annotated[Actor | None, Depends(get_optional_actor)]


async def get_actor(actor: OptionalActorDep) -> Actor:
    """The authenticated actor; anonymous requests get 401."""
    if actor is None:
        raise Unauthenticated(REST.missing, code="unauthenticated")
    return actor


@dataclass(frozen=True, slots=True)
class Call:
    """What an authenticated route works with: its unit of work, its caller, the settings."""

    session: AsyncSession
    actor: Actor
    settings: Settings


async def get_call(request: Request) -> AsyncIterator[Call]:
    """``SessionDep`` and ``ActorDep`` as one dependency: the hot routes (claims, task writes,
    messages) take this one, since FastAPI's solving of nested dependencies cost a
    measurable share of a claim. Same transaction, same rules, same order."""
    database, settings = database_of(request), settings_of(request)
    async with unit_of_work(database, write=writes(request)) as session:
        actor = await _authenticate(request, session)
        if actor is None:
            raise Unauthenticated(REST.missing, code="unauthenticated")
        yield Call(session, actor, settings)
    await record_last_use(database, settings, session)


CallDep = Annotated[Call, Depends(get_call, scope="function")]
DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ActorDep = Annotated[Actor, Depends(get_actor)]
