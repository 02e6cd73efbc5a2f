"""Helpers for the team service tests: one call per unit of work, people with roles."""

from __future__ import annotations

from typing import Any

from crewboard.models.tasks import Task
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.projects import Role
from crewboard.services.tasks import Tasks, TaskView
from crewboard.services.teams import TeamService
from tests.factory import Factory
from tests.services.helpers import person
from tests.task_world import SLUG, World


async def teams(world: World, method: str, *args: Any, actor: Actor | None = None,
                **kwargs: Any) -> Any:  # fmt: skip
    """``TeamService.<method>(actor, "shop", *args, **kwargs)`` in its own transaction."""
    write = method not in ("get", "list")
    async with unit_of_work(world.database, write=write) as session:
        service = TeamService(session, world.settings)
        return await getattr(service, method)(actor or world.lead, SLUG, *args, **kwargs)


async def tasks(world: World, method: str, *args: Any, actor: Actor | None = None,
                **kwargs: Any) -> Any:  # fmt: skip
    """``Tasks.<method>(actor, "shop", *args, **kwargs)`` in its own transaction."""
    async with unit_of_work(world.database, write=method != "list") as session:
        service = Tasks(session, world.settings)
        return await getattr(service, method)(actor or world.lead, SLUG, *args, **kwargs)


async def claimed(world: World, title: str, agent: str, **fields: Any) -> Task:
    """A new task, claimed by ``agent`` (in progress, held by it)."""
    task = await world.task(title, **fields)
    result: TaskView = await tasks(world, "claim", task.number, actor=world.actors[agent])
    return result.task


async def people(world: World, factory: Factory) -> dict[str, Actor]:
    """A viewer and a member of the project, and the lead's read-only credential."""
    found: dict[str, Actor] = {}
    for role in (Role.VIEWER, Role.MEMBER):
        email = f"{role.value}@example.com"
        user_id = await factory.user(email)
        await factory.member(SLUG, email, role)
        found[role.value] = person(user_id, email)
    assert world.lead.user_id is not None
    found["read-only"] = person(world.lead.user_id, "lead@example.com", read_only=True)
    return found
