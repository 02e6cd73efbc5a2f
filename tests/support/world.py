"""The worlds tests start from: project ``shop`` with its crew of agents and their real tokens,
``shop`` and ``bank`` for isolation, and the actors of people."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models.tasks import Task
from crewboard.services.accounts import AuthService
from crewboard.services.core import ALL_SCOPES, Actor, Scope, unit_of_work
from crewboard.services.projects import Role
from crewboard.services.tasks import Tasks
from tests.support.factory import Factory
from tests.support.http import PASSWORD

SLUG = "shop"
AGENTS = ("architect", "frontend", "backend", "domain-expert", "reviewer", "qa")


@dataclass
class World:
    """Project ``shop``: ``lead`` owns it; every agent of the template has a token."""

    database: Database
    settings: Settings
    lead: Actor
    lead_token: str
    tokens: dict[str, str] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)

    def headers(self, agent: str | None = None) -> dict[str, str]:
        """Bearer headers of an agent, or of the lead."""
        token = self.tokens[agent] if agent else self.lead_token
        return {"authorization": f"Bearer {token}"}

    async def task(self, title: str, **kwargs: object) -> Task:
        """Create a task as the lead."""
        async with unit_of_work(self.database, write=True) as session:
            view = await Tasks(session, self.settings).create(
                self.lead,
                SLUG,
                title=title,
                **kwargs,  # type: ignore[arg-type]
            )
            return view.task

    async def get(self, number: int) -> Task:
        """A task as it is now in the database."""
        async with unit_of_work(self.database, write=False) as session:
            return (await Tasks(session, self.settings).get(self.lead, SLUG, number)).task


async def actor_for(database: Database, settings: Settings, token: str) -> Actor:
    """The actor behind a token, as the faces resolve it."""
    async with unit_of_work(database, write=False) as session:
        return (await AuthService(session, settings).authenticate(token)).actor


async def build_world(
    factory: Factory, database: Database, settings: Settings, agents: tuple[str, ...] = AGENTS
) -> World:
    """The project, the roster, the lead and one token per agent."""
    lead_id = await factory.user("lead@example.com")
    await factory.project(SLUG, lead_id)
    lead_token = await factory.token(lead_id)
    world = World(database, settings, await actor_for(database, settings, lead_token), lead_token)
    for name in agents:
        await factory.agent(SLUG, name)
        world.tokens[name] = await factory.token(lead_id, project=SLUG, agent=name)
        world.actors[name] = await actor_for(database, settings, world.tokens[name])
    return world


def person(user_id: int, email: str, *, admin: bool = False, read_only: bool = False) -> Actor:
    """The actor a person's full (or read-only) credential resolves to."""
    scopes = frozenset({Scope.READ.value}) if read_only else ALL_SCOPES
    return Actor(user_id=user_id, label=email, is_admin=admin, scopes=scopes)


@dataclass
class Two:
    """Two projects with one owner each (and an outsider to each)."""

    alice: int
    bob: int


async def two_projects(factory: Factory) -> Two:
    """``shop`` (owner alice, agents backend and qa) and ``bank`` (owner bob, agent teller)."""
    alice = await factory.user("alice@example.com", password=PASSWORD)
    bob = await factory.user("bob@example.com", password=PASSWORD)
    await factory.project("shop", alice)
    await factory.project("bank", bob)
    for name in ("backend", "qa"):
        await factory.agent("shop", name)
    await factory.agent("bank", "teller")
    await factory.user("vera@example.com", password=PASSWORD)
    await factory.member("shop", "vera@example.com", Role.VIEWER)
    return Two(alice, bob)


@dataclass
class ApiWorld:
    """A world built once per module for the HTTP-wide tests: its people's ids and tokens, and
    one client on the app."""

    database: Database
    settings: Settings
    client: httpx.AsyncClient
    factory: Factory
    users: dict[str, int]
    tokens: dict[str, str | None] = field(default_factory=dict)
