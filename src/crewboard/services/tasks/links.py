"""Dependencies, follow-ups on other agents' trackers, and task history, through the API."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from crewboard.models import Event
from crewboard.models.tasks import Task, TaskDependency
from crewboard.services.core import Actor, NotFound, Page, check_limit, decode_cursor, page_of
from crewboard.services.projects import Role
from crewboard.services.tasks.catalog import TaskCatalog
from crewboard.services.tasks.edges import Edges
from crewboard.services.tasks.store import TaskStore, TaskView


class TaskLinking:
    """Dependencies, follow-ups and history through the API."""

    def __init__(self, store: TaskStore) -> None:
        self.store = store
        self.catalog = TaskCatalog(store)

    async def add_blockers(
        self, actor: Actor, slug: str, number: int, blocked_by: Sequence[int]
    ) -> TaskView:
        """Make a task wait on others."""
        access = await self.store.projects.access(actor, slug, need=Role.AGENT, write=True)
        task = await self.store.load(access, number)
        await self.store.require_modify(access, task)
        added, _ = await Edges(self.store).wait_on(actor, access, task, blocked_by)
        if added:
            await self.store.save(task)
            self.store.record(actor, access, task, "task.dependencies_added", {"blocked_by": added})
        return await self.store.view(task)

    async def remove_blocker(self, actor: Actor, slug: str, number: int, blocker: int) -> TaskView:
        """Stop a task waiting on another."""
        access = await self.store.projects.access(actor, slug, need=Role.AGENT, write=True)
        task = await self.store.load(access, number)
        await self.store.require_modify(access, task)
        other = await self.store.load(access, blocker)
        result = await self.store.session.execute(
            delete(TaskDependency).where(
                TaskDependency.task_id == task.id, TaskDependency.blocked_by_id == other.id
            )
        )
        if not getattr(result, "rowcount", 0):
            raise NotFound(f"task #{number} does not wait on #{blocker}")
        await self.store.save(task)
        self.store.record(actor, access, task, "task.dependency_removed", {"blocked_by": blocker})
        Edges(self.store).removed(actor, access, task, other)
        return await self.store.view(task)

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
        access = await self.store.projects.access(actor, slug, need=Role.AGENT, write=True)
        source = await self.store.load(access, number)
        return await self.catalog.create(
            actor,
            slug,
            title=title,
            description=description,
            tracker=tracker,
            priority=priority,
            source=source,
            as_agent=as_agent,
        )

    async def follow_ups(self, actor: Actor, slug: str, number: int) -> list[Task]:
        """The tasks created as follow-ups of this one."""
        access = await self.store.projects.access(actor, slug)
        source = await self.store.load(access, number)
        rows = await self.store.session.scalars(
            select(Task).where(Task.source_task_id == source.id).order_by(Task.number).limit(200)
        )
        return list(rows)

    async def history(
        self, actor: Actor, slug: str, number: int, *, cursor: str | None = None, limit: int = 50
    ) -> Page[Event]:
        """Every recorded change of a task, oldest first."""
        access = await self.store.projects.access(actor, slug)
        await self.store.load(access, number)
        after = decode_cursor(cursor)
        query = (
            select(Event)
            .where(Event.project_id == access.project.id, Event.subject == f"task:{number}")
            .order_by(Event.id)
            .limit(check_limit(limit) + 1)
        )
        if after is not None:
            query = query.where(Event.id > after)
        rows = (await self.store.session.scalars(query)).all()
        return page_of(rows, limit, lambda e: e.id)
