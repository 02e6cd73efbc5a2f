"""Service calls the domain tests repeat: messages, teams and tasks as one actor or another."""

from __future__ import annotations

from typing import Any

from crewboard.models.tasks import Task
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.messages import (
    InboxItem,
    InboxService,
    MessageService,
    MessageView,
    Outgoing,
)
from crewboard.services.projects import Role
from crewboard.services.tasks import Tasks, TaskView
from crewboard.services.teams import TeamService
from tests.support.factory import Factory
from tests.support.world import SLUG, World, person


async def send(
    world: World, sender: Actor | str, to: str | None = None, body: str = "hi", **fields: Any
) -> MessageView:
    """Send as an agent (by name) or an actor, in its own transaction."""
    actor = world.actors[sender] if isinstance(sender, str) else sender
    async with unit_of_work(world.database, write=True) as session:
        out = Outgoing(to=to, body=body, **fields)
        return await MessageService(session).send(actor, SLUG, out)


async def inbox(world: World, reader: Actor | str, **kwargs: Any) -> list[InboxItem]:
    """Every item of an inbox page (unread unless ``unread=False``)."""
    actor = world.actors[reader] if isinstance(reader, str) else reader
    async with unit_of_work(world.database, write=False) as session:
        return (await InboxService(session).list(actor, SLUG, **kwargs)).items


async def mark(world: World, reader: Actor | str, **kwargs: Any) -> int:
    """``InboxService.mark_read`` for an agent (by name) or an actor."""
    actor = world.actors[reader] if isinstance(reader, str) else reader
    async with unit_of_work(world.database, write=True) as session:
        return await InboxService(session).mark_read(actor, SLUG, **kwargs)


def bodies(items: list[InboxItem]) -> list[str]:
    """The bodies of inbox items, in order."""
    return [item.message.body for item in items]


async def teams(
    world: World, method: str, *args: Any, actor: Actor | None = None, **kwargs: Any
) -> Any:
    """``TeamService.<method>(actor, "shop", *args, **kwargs)`` in its own transaction."""
    write = method not in ("get", "list")
    async with unit_of_work(world.database, write=write) as session:
        service = TeamService(session, world.settings)
        return await getattr(service, method)(actor or world.lead, SLUG, *args, **kwargs)


async def tasks(
    world: World, method: str, *args: Any, actor: Actor | None = None, **kwargs: Any
) -> Any:
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
