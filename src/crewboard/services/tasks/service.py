"""TaskService: create, read, list and update tasks; the rules of who may touch which task."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    and_,
    bindparam,
    column,
    exists,
    func,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import ColumnElement

from crewboard.config import Settings
from crewboard.models import Event, Project, utcnow
from crewboard.models.tasks import Task, TaskDependency
from crewboard.services.core import (
    Actor,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Page,
    check_limit,
    check_text,
    decode_key,
    encode_key,
    record_event,
)
from crewboard.services.projects import (
    ProjectAccess,
    ProjectService,
    Role,
    require_on_roster,
    require_team,
    team_names,
)
from crewboard.services.tasks.graph import add_dependencies
from crewboard.services.tasks.rules import (
    ACTIVE_FORM_MAX,
    DESCRIPTION_MAX,
    RESOLVED,
    Status,
    check_priority,
    check_title,
    merge_metadata,
)

Blocker = aliased(Task, name="blocker")
# The task at the other end of a dependency (built once: an alias is costly to construct).
Other = aliased(Task, name="other_task")
# Both directions of the dependency view in one statement, built once: (task, blocker number,
# blocker status) for what a task waits on, (task, dependant number, NULL) for what waits on it.
_LINKS: CompoundSelect[*tuple[Any, ...]] = union_all(
    select(TaskDependency.task_id, Other.number, Other.status)
    .join(Other, Other.id == TaskDependency.blocked_by_id)
    .where(TaskDependency.task_id.in_(bindparam("p_ids", expanding=True))),
    select(TaskDependency.blocked_by_id, Other.number, null())
    .join(Other, Other.id == TaskDependency.task_id)
    .where(TaskDependency.blocked_by_id.in_(bindparam("p_ids", expanding=True))),
).order_by(column("number"))


def open_blocker_exists() -> ColumnElement[bool]:
    """True for a task that still waits on an unfinished blocker."""
    return exists().where(
        TaskDependency.task_id == Task.id,
        Blocker.id == TaskDependency.blocked_by_id,
        Blocker.status.notin_(RESOLVED),
    )


def ready_clause() -> ColumnElement[bool]:
    """Pending, unowned, and every blocker finished."""
    return and_(Task.status == Status.PENDING.value, Task.owner.is_(None), ~open_blocker_exists())


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


def _filter_name(value: str, field: str) -> str:
    """A name to filter on. No name holds a control character, and PostgreSQL cannot even
    take a NUL as a parameter: refused here rather than failing the query."""
    if any(ord(ch) < 32 for ch in value):
        raise Invalid(f"{field} contains control characters", field=field)
    return value


@dataclass(frozen=True, slots=True)
class TaskLinks:
    """A task's neighbours, by number: what it waits on (open ones flagged) and what waits on it."""

    blocked_by: list[int]
    open_blockers: list[int]
    blocks: list[int]
    source: int | None
    team: str | None = None


class TaskService:
    """Tasks of one project at a time, always through ``ProjectService.access``."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.projects = ProjectService(session)

    # -- identity -------------------------------------------------------------------------

    async def acting_agent(self, access: ProjectAccess, as_agent: str | None) -> str | None:
        """The agent an action is done as: an agent's own name, or one a person names."""
        if access.agent_name is not None:
            if as_agent is not None and as_agent != access.agent_name:
                raise Forbidden(
                    f"you act as {access.agent_name} and cannot act as {as_agent}",
                    code="impersonation",
                )
            return access.agent_name
        if as_agent is None:
            return None
        access.require(Role.MEMBER)
        await self.require_roster(access, as_agent, "as_agent")
        return as_agent

    async def require_roster(self, access: ProjectAccess, name: str, field: str) -> str:
        """Refuse an agent name that is not on the project's roster."""
        return await require_on_roster(self.session, access.project, name, field)

    async def require_team(
        self, access: ProjectAccess, name: str, field: str = "team", *, lock: bool = False
    ) -> int:
        """The id of a live team of the project (422 naming ``field`` otherwise)."""
        return (await require_team(self.session, access.project, name, field, lock=lock)).id

    @staticmethod
    def may_modify(access: ProjectAccess, task: Task) -> bool:
        """Members change any task; an agent its own, or an unowned one on its tracker."""
        if access.role.rank >= Role.MEMBER.rank:
            return True
        if access.role is not Role.AGENT or access.agent_name is None:
            return False
        me = access.agent_name
        return task.owner == me or (task.owner is None and task.tracker == me)

    def require_modify(self, access: ProjectAccess, task: Task) -> None:
        """Refuse a change to a task that is not the actor's to change."""
        if not self.may_modify(access, task):
            owner = f"owned by {task.owner}" if task.owner else f"on {task.tracker}'s tracker"
            raise Forbidden(f"task #{task.number} is {owner}; it is not yours to change")

    # -- reading --------------------------------------------------------------------------

    async def load(self, access: ProjectAccess, number: int) -> Task:
        """A task by its project number."""
        query = select(Task).where(Task.project_id == access.project.id, Task.number == number)
        task = await self.session.scalar(query.execution_options(populate_existing=True))
        if task is None:
            raise NotFound(f"task #{number} not found in {access.project.slug}")
        return task

    async def get(self, actor: Actor, slug: str, number: int) -> tuple[Task, TaskLinks]:
        """One task with its dependencies both ways."""
        access = await self.projects.access(actor, slug)
        task = await self.load(access, number)
        return task, (await self.links([task]))[task.id]

    async def links(self, tasks: Sequence[Task]) -> dict[int, TaskLinks]:
        """Dependencies (and team names) of several tasks, in a few queries whatever their
        number."""
        ids = [t.id for t in tasks]
        result: dict[int, TaskLinks] = {}
        if not ids:
            return result
        rows = (await self.session.execute(_LINKS, {"p_ids": ids})).all()
        sources = {t.source_task_id for t in tasks if t.source_task_id is not None}
        source_numbers: dict[int, int] = {}
        if sources:
            source_rows = await self.session.execute(
                select(Task.id, Task.number).where(Task.id.in_(sources))
            )
            source_numbers = {row[0]: row[1] for row in source_rows}
        teams = await team_names(self.session, (t.team_id for t in tasks if t.team_id))
        waits: dict[int, list[tuple[int, str]]] = defaultdict(list)
        dependants: dict[int, list[int]] = defaultdict(list)
        for task_id, number, status in rows:
            if status is None:
                dependants[task_id].append(number)
            else:
                waits[task_id].append((number, status))
        for task in tasks:
            mine = waits.get(task.id, [])
            result[task.id] = TaskLinks(
                blocked_by=[n for n, _ in mine],
                open_blockers=[n for n, status in mine if status not in RESOLVED],
                blocks=dependants.get(task.id, []),
                source=source_numbers.get(task.source_task_id or 0),
                team=teams.get(task.team_id or 0),
            )
        return result

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
        access = await self.projects.access(actor, slug)
        query = select(Task).where(Task.project_id == access.project.id)
        if filters.tracker is not None:
            query = query.where(Task.tracker == _filter_name(filters.tracker, "tracker"))
        if filters.owner is not None:
            query = query.where(Task.owner == _filter_name(filters.owner, "owner"))
        if filters.team is not None:
            query = query.where(Task.team_id == await self.require_team(access, filters.team))
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
        if filters.ready:
            query = query.where(ready_clause()).order_by(Task.priority, Task.id)
            if cursor is not None:
                prio, last = decode_key(cursor, 2)
                if not 0 <= prio <= 3:  # the column is a SMALLINT: a bigger value fails in SQL
                    raise Invalid("malformed cursor", code="invalid-cursor")
                query = query.where(
                    (Task.priority > prio) | ((Task.priority == prio) & (Task.id > last))
                )
            rows = (await self.session.scalars(query.limit(limit + 1))).all()
            more = len(rows) > limit
            items = list(rows[:limit])
            nxt = encode_key(items[-1].priority, items[-1].id) if more and items else None
            return Page(items, nxt)
        query = query.order_by(Task.id)
        if cursor is not None:
            (last,) = decode_key(cursor, 1)
            query = query.where(Task.id > last)
        rows = (await self.session.scalars(query.limit(limit + 1))).all()
        items = list(rows[:limit])
        more = len(rows) > limit
        return Page(items, encode_key(items[-1].id) if more and items else None)

    async def change_marker(self, actor: Actor, slug: str) -> int:
        """A number that grows with every change in the project (for ETags of polled lists)."""
        access = await self.projects.access(actor, slug)
        latest = await self.session.scalar(
            select(func.max(Event.id)).where(Event.project_id == access.project.id)
        )
        return int(latest or 0)

    # -- writing --------------------------------------------------------------------------

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
    ) -> Task:
        """A new pending task, on an agent's tracker or on none (shared), in a team or not."""
        access = await self.projects.access(actor, slug, need=Role.AGENT, write=True)
        creator = await self.acting_agent(access, as_agent)
        if tracker is not None:
            await self.require_roster(access, tracker, "tracker")
        team_id = await self.require_team(access, team, lock=True) if team is not None else None
        # Numbers are per project: lock the project row so two creators never pick one number.
        await self.session.execute(
            select(Project.id).where(Project.id == access.project.id).with_for_update()
        )
        last = await self.session.scalar(
            select(func.max(Task.number)).where(Task.project_id == access.project.id)
        )
        now = utcnow()
        task = Task(
            project_id=access.project.id,
            number=int(last or 0) + 1,
            title=check_title(title),
            description=check_text(description, "description", DESCRIPTION_MAX, required=False),
            active_form=check_text(active_form, "active_form", ACTIVE_FORM_MAX) if active_form
            else None,
            tracker=tracker,
            team_id=team_id,
            priority=check_priority(priority),
            meta=merge_metadata({}, metadata or {}),
            files=[],
            source_task_id=source.id if source else None,
            created_by=creator or actor.label,
            created_at=now,
            updated_at=now,
        )  # fmt: skip
        self.session.add(task)
        await self.session.flush()
        if blocked_by:
            await add_dependencies(self.session, access, task, list(blocked_by))
        self.record(actor, access, task, "task.created", {
            "title": task.title, "tracker": tracker, "team": team, "priority": task.priority,
            "source": source.number if source else None, "blocked_by": sorted(blocked_by),
        })  # fmt: skip
        return task

    def record(
        self, actor: Actor, access: ProjectAccess, task: Task, kind: str, data: dict[str, Any]
    ) -> None:
        """An event about a task, in the current transaction."""
        record_event(
            self.session, actor, kind, f"task:{task.number}", data, project_id=access.project.id
        )

    async def save(self, task: Task) -> None:
        """Flush a changed task; a concurrent change in between is a version conflict."""
        task.updated_at = utcnow()
        number = task.number  # a failed flush expires the object; read it before
        try:
            await self.session.flush()
        except StaleDataError as exc:
            raise Conflict(
                f"task #{number} was changed by someone else; reload and retry",
                code="version-conflict",
            ) from exc

    def lease_until(self, now: datetime) -> datetime:
        """When a lease taken or renewed now runs out."""
        return now + timedelta(minutes=self.settings.lease_minutes)

    @staticmethod
    def check_version(task: Task, expected: int | None) -> None:
        """Refuse a write based on an old read."""
        if expected is not None and expected != task.version:
            raise Conflict(
                f"task #{task.number} is at version {task.version}, not {expected}; "
                "reload and retry",
                code="version-conflict",
                current_version=task.version,
            )

    @staticmethod
    def require_text(value: str | None, field: str) -> str:
        """A field a transition needs."""
        if value is None or not value.strip():
            raise Invalid(f"{field} is required here", field=field)
        return value
