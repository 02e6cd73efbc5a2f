"""The task store: loading, saving (versioned), event recording, and the links of tasks as
``TaskView``s; with who may act on which task. The verbs (catalog, claims, flow, linking)
work through one store; none holds storage of its own."""

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
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql import ColumnElement

from crewboard.config import Settings
from crewboard.models import utcnow
from crewboard.models.tasks import Task, TaskDependency
from crewboard.models.teams import Team
from crewboard.services.core import Actor, Conflict, Forbidden, Invalid, NotFound, record_event
from crewboard.services.projects import (
    ProjectAccess,
    ProjectService,
    Role,
    require_on_roster,
    require_team,
    team_names,
)
from crewboard.services.tasks.rules import RESOLVED, Status

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


def ready_clause() -> ColumnElement[bool]:
    """Pending, unowned, and every blocker finished: ``open_blocker_count`` is that count, kept by
    the database's triggers (migration 0012), so a claim seeks the queue index straight to the
    ready tasks instead of testing each blocked one ahead of them."""
    return and_(
        Task.status == Status.PENDING.value, Task.owner.is_(None), Task.open_blocker_count == 0
    )


@dataclass(frozen=True, slots=True)
class TaskView:
    """A task with its neighbours, by number: what it waits on (open ones flagged), what waits
    on it, the task it follows up, and its team's name."""

    task: Task
    blocked_by: list[int]
    open_blockers: list[int]
    blocks: list[int]
    source: int | None
    team: str | None = None


class TaskStore:
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

    async def manages(self, access: ProjectAccess, task: Task) -> bool:
        """Whether the acting agent leads the task's team: it manages the team's tasks as a
        member does (assigns, links, renames, deletes), as Claude Code's lead does."""
        me = access.agent_name
        if access.role is not Role.AGENT or me is None or task.team_id is None:
            return False
        return await self.session.scalar(select(Team.lead).where(Team.id == task.team_id)) == me

    async def require_modify(self, access: ProjectAccess, task: Task) -> None:
        """Refuse a change to a task that is not the actor's to change."""
        if self.may_modify(access, task) or await self.manages(access, task):
            return
        if task.owner:
            whose = f"owned by {task.owner}"
        elif task.tracker:
            whose = f"on {task.tracker}'s tracker"
        else:
            whose = "a shared task nobody has claimed"
        raise Forbidden(f"task #{task.number} is {whose}; it is not yours to change")

    # -- reading --------------------------------------------------------------------------

    async def load(self, access: ProjectAccess, number: int) -> Task:
        """A task by its project number."""
        query = select(Task).where(Task.project_id == access.project.id, Task.number == number)
        task = await self.session.scalar(query.execution_options(populate_existing=True))
        if task is None:
            raise NotFound(f"task #{number} not found in {access.project.slug}")
        return task

    async def views(self, tasks: Sequence[Task]) -> list[TaskView]:
        """Several tasks with their links, in at most three queries whatever their number:
        dependencies both ways; follow-up sources and team names only when some task has one."""
        if not tasks:
            return []
        rows = (await self.session.execute(_LINKS, {"p_ids": [t.id for t in tasks]})).all()
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
        return [
            TaskView(
                task=task,
                blocked_by=[n for n, _ in waits.get(task.id, [])],
                open_blockers=[n for n, status in waits.get(task.id, []) if status not in RESOLVED],
                blocks=dependants.get(task.id, []),
                source=source_numbers.get(task.source_task_id or 0),
                team=teams.get(task.team_id or 0),
            )
            for task in tasks
        ]

    async def view(self, task: Task, *, has_links: bool = True) -> TaskView:
        """One task with its links; ``has_links=False`` (the caller knows it has no dependency
        edge) reads none, nor anything else when it follows up no task and is on no team."""
        if not has_links and task.source_task_id is None and task.team_id is None:
            return TaskView(task=task, blocked_by=[], open_blockers=[], blocks=[], source=None)
        (view,) = await self.views([task])
        return view

    async def open_blockers(self, task: Task) -> list[int]:
        """The unfinished tasks this one waits on, by number (one query)."""
        rows = await self.session.scalars(
            select(Blocker.number)
            .join(TaskDependency, Blocker.id == TaskDependency.blocked_by_id)
            .where(TaskDependency.task_id == task.id, Blocker.status.notin_(RESOLVED))
            .order_by(Blocker.number)
        )
        return list(rows)

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
