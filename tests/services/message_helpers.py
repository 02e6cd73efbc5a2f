"""Helpers for the message tests: one service call per unit of work."""

from __future__ import annotations

from typing import Any

from crewboard.services.core import Actor, unit_of_work
from crewboard.services.messages import (
    InboxItem,
    InboxService,
    MessageService,
    MessageView,
    Outgoing,
)
from tests.task_world import SLUG, World


async def send(world: World, sender: Actor | str, to: str | None = None, body: str = "hi",
               **fields: Any) -> MessageView:  # fmt: skip
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
