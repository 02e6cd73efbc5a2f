"""A project with a crew of agents and their real tokens, for the task tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models.tasks import Task
from crewboard.services.accounts import AuthService
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.tasks import Tasks
from tests.factory import Factory

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
