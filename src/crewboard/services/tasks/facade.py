"""``Tasks``: the one entry point the faces use for tasks.

A thin facade over one ``TaskStore`` and the verb objects that work through it (catalog,
claims, flow, linking, protocol). What it answers a face is a ``TaskView`` (or a result
holding one), so no face calls back for a task's links.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import Event
from crewboard.models.tasks import Task
from crewboard.services.core import Actor, Page
from crewboard.services.projects import ProjectAccess
from crewboard.services.tasks.catalog import TaskCatalog, TaskFilter
from crewboard.services.tasks.changelog import ChangelogDraft, EntryView
from crewboard.services.tasks.claims import ClaimScope, TaskClaims
from crewboard.services.tasks.flow import Applied, ChangeResult, TaskChange, TaskFlow
from crewboard.services.tasks.links import TaskLinking
from crewboard.services.tasks.protocol import TaskProtocol
from crewboard.services.tasks.store import TaskStore, TaskView


@dataclass(frozen=True, slots=True)
class Completion:
    """A completed task and the changelog entry appended with it, if any."""

    result: ChangeResult
    entry: EntryView | None


class Tasks:
    """Everything about tasks."""

    may_modify = staticmethod(TaskStore.may_modify)

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.store = TaskStore(session, settings)
        self.session, self.settings, self.projects = session, settings, self.store.projects
        self.catalog = TaskCatalog(self.store)
        self.claims = TaskClaims(self.store)
        self.flow = TaskFlow(self.store)
        self.linking = TaskLinking(self.store)
        self.protocol = TaskProtocol(self.flow, self.claims)

    async def _viewed(self, applied: Applied) -> ChangeResult:
        view = await self.store.view(applied.task)
        return ChangeResult(view, applied.updated_fields, applied.status_change)

    # -- reading and creating ------------------------------------------------------------

    async def get(self, actor: Actor, slug: str, number: int) -> TaskView:
        """One task with its links."""
        return await self.catalog.get(actor, slug, number)

    async def list(
        self,
        actor: Actor,
        slug: str,
        filters: TaskFilter,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Task]:
        """Tasks alone (a board, a count): see ``TaskCatalog.list``."""
        return await self.catalog.list(actor, slug, filters, cursor=cursor, limit=limit)

    async def list_views(
        self,
        actor: Actor,
        slug: str,
        filters: TaskFilter,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[TaskView]:
        """Tasks with their links: see ``TaskCatalog.list``."""
        return await self.catalog.list_views(actor, slug, filters, cursor=cursor, limit=limit)

    async def change_marker(self, actor: Actor, slug: str) -> int:
        """A number that grows with every change in the project."""
        return await self.catalog.change_marker(actor, slug)

    async def create(
        self,
        actor: Actor,
        slug: str,
        *,
        title: str,
        description: str = "",
        active_form: str | None = None,
        tracker: str | None = None,
        priority: int = 2,
        metadata: dict[str, Any] | None = None,
        blocked_by: Sequence[int] = (),
        source: Task | None = None,
        as_agent: str | None = None,
        team: str | None = None,
    ) -> TaskView:
        """A new pending task, on an agent's tracker or on none, in a team or not."""
        return await self.catalog.create(
            actor,
            slug,
            title=title,
            description=description,
            active_form=active_form,
            tracker=tracker,
            priority=priority,
            metadata=metadata,
            blocked_by=blocked_by,
            source=source,
            as_agent=as_agent,
            team=team,
        )

    # -- claims ---------------------------------------------------------------------------

    async def claim(
        self, actor: Actor, slug: str, number: int, *, as_agent: str | None = None
    ) -> TaskView:
        """Take a ready task (``check_claimable`` says why not)."""
        return await self.claims.claim_view(actor, slug, number, as_agent=as_agent)

    async def claim_next(
        self, actor: Actor, slug: str, scope: ClaimScope, *, as_agent: str | None = None
    ) -> TaskView:
        """Claim the most urgent, oldest ready task in scope."""
        return await self.claims.claim_next(actor, slug, scope, as_agent=as_agent)

    async def renew(self, actor: Actor, slug: str, number: int) -> TaskView:
        """Extend the lease of a task one holds."""
        return await self.claims.renew(actor, slug, number)

    # -- changes --------------------------------------------------------------------------

    async def prepare(
        self, actor: Actor, slug: str, number: int, as_agent: str | None, version: int | None
    ) -> tuple[ProjectAccess, str | None, Task]:
        """The right to write, who acts, the task at the version the caller saw."""
        return await self.flow.prepare(actor, slug, number, as_agent, version)

    async def apply(
        self, actor: Actor, access: ProjectAccess, me: str | None, task: Task, change: TaskChange
    ) -> Applied:
        """Every rule of a task change (no view: for callers that show none)."""
        return await self.flow.apply(actor, access, me, task, change)

    async def update(
        self,
        actor: Actor,
        slug: str,
        number: int,
        change: TaskChange,
        *,
        version: int | None = None,
        as_agent: str | None = None,
    ) -> ChangeResult:
        """Apply a change as one versioned write."""
        applied = await self.flow.update(
            actor, slug, number, change, version=version, as_agent=as_agent
        )
        return await self._viewed(applied)

    async def start(
        self,
        actor: Actor,
        slug: str,
        number: int,
        *,
        as_agent: str | None = None,
        version: int | None = None,
    ) -> ChangeResult:
        """Claim a ready task, or resume one's own."""
        applied = await self.protocol.start(actor, slug, number, as_agent=as_agent, version=version)
        return await self._viewed(applied)

    async def block(
        self,
        actor: Actor,
        slug: str,
        number: int,
        *,
        reason: str,
        needs_agent: str | None = None,
        as_agent: str | None = None,
        version: int | None = None,
    ) -> ChangeResult:
        """Blocked, with the reason and the agent whose help is needed."""
        applied = await self.protocol.block(
            actor,
            slug,
            number,
            reason=reason,
            needs_agent=needs_agent,
            as_agent=as_agent,
            version=version,
        )
        return await self._viewed(applied)

    async def unblock(
        self,
        actor: Actor,
        slug: str,
        number: int,
        *,
        as_agent: str | None = None,
        version: int | None = None,
    ) -> ChangeResult:
        """Back to work if someone holds it, else back to the queue."""
        applied = await self.protocol.unblock(
            actor, slug, number, as_agent=as_agent, version=version
        )
        return await self._viewed(applied)

    async def release(
        self,
        actor: Actor,
        slug: str,
        number: int,
        *,
        as_agent: str | None = None,
        version: int | None = None,
    ) -> ChangeResult:
        """Back to the queue: pending, unowned."""
        applied = await self.protocol.release(
            actor, slug, number, as_agent=as_agent, version=version
        )
        return await self._viewed(applied)

    async def complete(
        self,
        actor: Actor,
        slug: str,
        number: int,
        *,
        outcome: str,
        files: Sequence[str] = (),
        verified: str | None = None,
        changelog: ChangelogDraft | None = None,
        as_agent: str | None = None,
        version: int | None = None,
    ) -> Completion:
        """Completed with its outcome, optionally with a changelog entry."""
        done = await self.protocol.complete(
            actor,
            slug,
            number,
            outcome=outcome,
            files=files,
            verified=verified,
            changelog=changelog,
            as_agent=as_agent,
            version=version,
        )
        return Completion(await self._viewed(done.applied), done.entry)

    # -- links ----------------------------------------------------------------------------

    async def add_blockers(
        self, actor: Actor, slug: str, number: int, blocked_by: Sequence[int]
    ) -> TaskView:
        """Make a task wait on others."""
        return await self.linking.add_blockers(actor, slug, number, blocked_by)

    async def remove_blocker(self, actor: Actor, slug: str, number: int, blocker: int) -> TaskView:
        """Stop a task waiting on another."""
        return await self.linking.remove_blocker(actor, slug, number, blocker)

    async def follow_up(
        self,
        actor: Actor,
        slug: str,
        number: int,
        *,
        tracker: str,
        title: str,
        description: str = "",
        priority: int = 2,
        as_agent: str | None = None,
    ) -> TaskView:
        """A task on another agent's tracker, created because of this one."""
        return await self.linking.follow_up(
            actor,
            slug,
            number,
            tracker=tracker,
            title=title,
            description=description,
            priority=priority,
            as_agent=as_agent,
        )

    async def follow_ups(self, actor: Actor, slug: str, number: int) -> builtins.list[TaskView]:
        """The follow-ups of a task, with their links."""
        return await self.store.views(await self.linking.follow_ups(actor, slug, number))

    async def history(
        self, actor: Actor, slug: str, number: int, *, cursor: str | None = None, limit: int = 50
    ) -> Page[Event]:
        """Every recorded change of a task, oldest first."""
        return await self.linking.history(actor, slug, number, cursor=cursor, limit=limit)
