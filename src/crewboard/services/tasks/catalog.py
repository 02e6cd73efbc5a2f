"""Creating, reading and listing tasks (and the change marker behind polled lists' ETags)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select

from crewboard.database.statements import Statement, adopt, fetch
from crewboard.models import Event, Project, utcnow
from crewboard.models.tasks import Task
from crewboard.services.core import (
    Actor,
    Invalid,
    Page,
    check_limit,
    check_text,
    decode_key,
    encode_key,
)
from crewboard.services.projects import Role
from crewboard.services.tasks.edges import Edges
from crewboard.services.tasks.rules import (
    ACTIVE_FORM_MAX,
    DESCRIPTION_MAX,
    RESOLVED,
    Status,
    check_priority,
    check_title,
    merge_metadata,
)
from crewboard.services.tasks.store import TaskStore, TaskView, ready_clause


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """What to list. ``ready`` lists the ready queue (priority, then age)."""

    tracker: str | None = None
    owner: str | None = None
    statuses: tuple[Status, ...] = ()
    priority: int | None = None
    ready: bool = False
    text: str | None = None
    team: str | None = None


_TASKS = cast(Table, Task.__table__)
# A new task: every column named (no Python-side default runs on the driver), the row returned.
# The next number is read inside the INSERT: a statement that starts after the project lock
# was granted, so its snapshot sees every task a creator before it committed (PostgreSQL).
_NEXT_NUMBER = (
    select(func.coalesce(func.max(Task.number), 0) + 1)
    .where(Task.project_id == bindparam("p_project_id"))
    .scalar_subquery()
)
_INSERT_TASK = Statement(
    insert(_TASKS)
    .values(
        {
            column.key: _NEXT_NUMBER if column.key == "number" else bindparam(f"p_{column.key}")
            for column in _TASKS.c
            if column.key != "id"
        }
    )
    .returning(*_TASKS.c)
)
_LOCK_PROJECT = Statement(
    select(Project.id).where(Project.id == bindparam("p_project")).with_for_update()
)


def _filter_name(value: str, field: str) -> str:
    """A name to filter on. No name holds a control character, and PostgreSQL cannot even
    take a NUL as a parameter: refused here rather than failing the query."""
    if any(ord(ch) < 32 for ch in value):
        raise Invalid(f"{field} contains control characters", field=field)
    return value


class TaskCatalog:
    """Create, get and list the tasks of a project."""

    def __init__(self, store: TaskStore) -> None:
        self.store = store

    async def get(self, actor: Actor, slug: str, number: int) -> TaskView:
        """One task with its dependencies both ways."""
        access = await self.store.projects.access(actor, slug)
        return await self.store.view(await self.store.load(access, number))

    async def list_views(
        self,
        actor: Actor,
        slug: str,
        filters: TaskFilter,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[TaskView]:
        """``list``, each task with its links (a fixed number of queries per page)."""
        page = await self.list(actor, slug, filters, cursor=cursor, limit=limit)
        return Page(await self.store.views(page.items), page.next_cursor)

    async def list(
        self,
        actor: Actor,
        slug: str,
        filters: TaskFilter,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[Task]:
        """Tasks by number, or the ready queue by priority then age; keyset-paged."""
        access = await self.store.projects.access(actor, slug)
        query = select(Task).where(Task.project_id == access.project.id)
        if filters.tracker is not None:
            query = query.where(Task.tracker == _filter_name(filters.tracker, "tracker"))
        if filters.owner is not None:
            query = query.where(Task.owner == _filter_name(filters.owner, "owner"))
        if filters.team is not None:
            query = query.where(Task.team_id == await self.store.require_team(access, filters.team))
        if filters.statuses:
            query = query.where(Task.status.in_([s.value for s in filters.statuses]))
        if filters.priority is not None:
            query = query.where(Task.priority == check_priority(filters.priority))
        if filters.text:
            needle = check_text(filters.text, "text", 200)
            query = query.where(
                Task.title.icontains(needle, autoescape=True)
                | Task.description.icontains(needle, autoescape=True)
            )
        limit = check_limit(limit)
        session = self.store.session
        if filters.ready:
            query = query.where(ready_clause()).order_by(Task.priority, Task.id)
            if cursor is not None:
                prio, last = decode_key(cursor, 2)
                if not 0 <= prio <= 3:  # the column is a SMALLINT: a bigger value fails in SQL
                    raise Invalid("malformed cursor", code="invalid-cursor")
                query = query.where(
                    (Task.priority > prio) | ((Task.priority == prio) & (Task.id > last))
                )
            rows = (await session.scalars(query.limit(limit + 1))).all()
            more = len(rows) > limit
            items = list(rows[:limit])
            nxt = encode_key(items[-1].priority, items[-1].id) if more and items else None
            return Page(items, nxt)
        query = query.order_by(Task.id)
        if cursor is not None:
            (last,) = decode_key(cursor, 1)
            query = query.where(Task.id > last)
        rows = (await session.scalars(query.limit(limit + 1))).all()
        items = list(rows[:limit])
        more = len(rows) > limit
        return Page(items, encode_key(items[-1].id) if more and items else None)

    async def change_marker(self, actor: Actor, slug: str) -> int:
        """A number that grows with every change in the project (for ETags of polled lists)."""
        access = await self.store.projects.access(actor, slug)
        latest = await self.store.session.scalar(
            select(func.max(Event.id)).where(Event.project_id == access.project.id)
        )
        return int(latest or 0)

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
        """A new pending task, on an agent's tracker or on none (shared), in a team or not.

        Its view is known without asking: nothing waits on a new task yet, and what it waits
        on was just loaded to link it."""
        store = self.store
        access = await store.projects.access(actor, slug, need=Role.AGENT, write=True)
        creator = await store.acting_agent(access, as_agent)
        if tracker is not None:
            await store.require_roster(access, tracker, "tracker")
        team_id = await store.require_team(access, team, lock=True) if team is not None else None
        # Numbers are per project: lock the project row so two creators never pick one number.
        # (The lock is a statement of its own on PostgreSQL: a statement that waits for it
        # would read the numbers in a snapshot taken before it was granted.) Both run on the
        # driver (database/statements.py).
        await fetch(store.session, _LOCK_PROJECT, {"p_project": access.project.id})
        now = utcnow()
        values: dict[str, Any] = {
            "project_id": access.project.id,
            "title": check_title(title),
            "description": check_text(description, "description", DESCRIPTION_MAX, required=False),
            # An empty one is kept as given: Claude Code writes activeForm "" (not absent).
            "active_form": check_text(active_form, "active_form", ACTIVE_FORM_MAX, required=False)
            if active_form is not None
            else None,
            "tracker": tracker,
            "owner": None,
            "status": Status.PENDING.value,
            "priority": check_priority(priority),
            "blocked_reason": None,
            "needs_agent": None,
            "team_id": team_id,
            "source_task_id": source.id if source else None,
            "outcome": None,
            "files": [],
            "verified": None,
            "lease_expires_at": None,
            "metadata": merge_metadata({}, metadata or {}),
            "version": 1,
            "created_by": creator or actor.label,
            "created_at": now,
            "updated_at": now,
            "completed_at": None,
            "open_blocker_count": 0,  # its edges, added below, count themselves (migration 0012)
        }
        (row,) = await fetch(store.session, _INSERT_TASK, {f"p_{k}": v for k, v in values.items()})
        task = adopt(store.session, Task, row)
        _, blockers = await Edges(store).wait_on(actor, access, task, list(blocked_by))
        store.record(
            actor,
            access,
            task,
            "task.created",
            {
                "title": task.title,
                "tracker": tracker,
                "team": team,
                "priority": task.priority,
                "source": source.number if source else None,
                "blocked_by": sorted(blocked_by),
            },
        )
        waits = sorted(blockers)
        return TaskView(
            task=task,
            blocked_by=waits,
            open_blockers=[n for n in waits if blockers[n].status not in RESOLVED],
            blocks=[],
            source=source.number if source else None,
            team=team,
        )
