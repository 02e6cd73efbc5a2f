"""Every dependency edge, from any face and in either direction, under one rule.

"A waits on B" changes A: whoever adds or removes the edge must be allowed to change A
(``TaskStore.require_modify``), whether the call names A (``blocked_by``) or B (``blocks``).
Both tasks record an event; A's version moves, since its state (what it waits on) changed,
while B's does not, so a teammate's dependency never turns B's owner's next write into a
version conflict.
"""

from __future__ import annotations

from collections.abc import Sequence

from crewboard.models.tasks import Task
from crewboard.services.core import Actor
from crewboard.services.projects import ProjectAccess
from crewboard.services.tasks.graph import link_blockers, link_dependents
from crewboard.services.tasks.store import TaskStore

BLOCKER_ADDED = "task.dependents_added"
BLOCKER_REMOVED = "task.dependent_removed"


class Edges:
    """Adds and removes dependency edges, checking and recording both ends."""

    def __init__(self, store: TaskStore) -> None:
        self.store = store

    async def wait_on(
        self, actor: Actor, access: ProjectAccess, task: Task, numbers: Sequence[int]
    ) -> tuple[list[int], dict[int, Task]]:
        """``task`` waits on each of ``numbers`` (the caller has checked it may change
        ``task``, and records ``task``'s own event); each new blocker records one."""
        added, blockers = await link_blockers(self.store.session, access, task, numbers)
        for number in added:
            self._tell_blocker(actor, access, blockers[number], [task.number])
        return added, blockers

    async def block(
        self, actor: Actor, access: ProjectAccess, task: Task, numbers: Sequence[int]
    ) -> list[int]:
        """Each of ``numbers`` waits on ``task``: each must be the actor's to change, as if
        the edge were added from its side. Each newly waiting task records an event and a
        new version; ``task`` is the caller's to record."""
        if not numbers:
            return []
        added, waiting = await link_dependents(
            self.store.session, access, task, numbers, check=self.store.require_modify
        )
        for number in added:
            other = waiting[number]
            await self.store.save(other)
            self.store.record(
                actor, access, other, "task.dependencies_added", {"blocked_by": [task.number]}
            )
        return added

    def removed(self, actor: Actor, access: ProjectAccess, waiting: Task, blocker: Task) -> None:
        """Record on the blocker that ``waiting`` no longer waits on it."""
        self.store.record(actor, access, blocker, BLOCKER_REMOVED, {"blocks": waiting.number})

    def _tell_blocker(
        self, actor: Actor, access: ProjectAccess, blocker: Task, waiting: list[int]
    ) -> None:
        self.store.record(actor, access, blocker, BLOCKER_ADDED, {"blocks": waiting})
