"""Load what the markdown files show from the database: an agent's tracker, the changelog.

The tracker of agent X lists the tasks on X's tracker and the shared (trackerless) tasks X
holds. Rendering and parsing are pure functions in ``crewboard.services.markdown``; REST,
MCP ``TrackerRead``, the CLI and markdown sync all come through here. Viewers and up may read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import Agent, Project
from crewboard.models.changelog import ChangelogEntry, ChangelogTaskLink
from crewboard.models.tasks import Task
from crewboard.services.core import TRACKERS_DIR, Actor, Invalid, check_text, record_event
from crewboard.services.markdown import (
    SOURCE_TEXT,
    ChangelogDoc,
    ChangelogRecord,
    ChangelogStyle,
    TrackerDoc,
    TrackerStyle,
    TrackerTask,
    render_changelog,
    render_tracker,
)
from crewboard.services.projects import Role, require_on_roster
from crewboard.services.tasks.rules import Status
from crewboard.services.tasks.store import TaskStore, TaskView

_Style = TypeVar("_Style", TrackerStyle, ChangelogStyle)
CHANGELOG_PATH = ".claude/CHANGELOG.md"
SECTION_MAX = 5_000  # tasks per section in a file; the rest are counted, not listed
COMPLETED_MAX = SECTION_MAX
_UNFINISHED = (Status.IN_PROGRESS, Status.PENDING, Status.BLOCKED)
_SOURCE_KEYS = ("sync", "init")


def line_source(meta: Mapping[str, Any] | None) -> str | None:
    """The words a task's line was written in, if a file gave it (the latest file first)."""
    for key in _SOURCE_KEYS:
        found = (meta or {}).get(key)
        if isinstance(found, Mapping) and isinstance(text := found.get(SOURCE_TEXT), str):
            return text
    return None


def tracker_task(view: TaskView) -> TrackerTask:
    """What a tracker line shows of a task (completed lines show the completion record)."""
    task = view.task
    if task.status == Status.COMPLETED.value:
        done = task.completed_at or task.updated_at
        return TrackerTask(
            status=task.status,
            title=task.title,
            number=task.number,
            completed_on=done.date(),
            outcome=task.outcome,
            files=tuple(task.files),
            verified=task.verified,
            source=line_source(task.meta),
        )
    blocked = task.status == Status.BLOCKED.value
    return TrackerTask(
        status=task.status,
        title=task.title,
        number=task.number,
        priority=task.priority,
        owner=task.owner,
        waits_on=tuple(view.open_blockers),
        follow_up_of=view.source,
        blocked_reason=task.blocked_reason if blocked else None,
        needs_agent=task.needs_agent if blocked else None,
        source=line_source(task.meta),
    )


_KIND = {TrackerStyle: "tracker", ChangelogStyle: "changelog"}
REFUSED_MAX = 50  # refused lines one sync report names
REFUSED_TEXT_MAX = 500


def _one_line(value: str, field: str, *, required: bool) -> str:
    value = check_text(value, field, REFUSED_TEXT_MAX, required=required)
    if "\n" in value:
        raise Invalid(f"{field} is one line", field=field)
    return value


def _stored(kind: type[_Style], data: object) -> _Style | None:
    """A style as the database keeps it (checked when it was set)."""
    return None if data is None else kind.from_json(data)


def _newest_first(task: Task) -> tuple[int, float, int]:
    """Completed tasks newest first; one without a completion time last."""
    at = task.completed_at
    return (at is None, -at.timestamp() if at else 0.0, -task.number)


class TrackerService:
    """Read an agent's tracker and the project's changelog, as documents or as markdown."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.store = TaskStore(session, settings)
        self.projects = self.store.projects

    async def tracker(
        self,
        actor: Actor,
        slug: str,
        agent: str | None = None,
        *,
        completed: int = COMPLETED_MAX,
    ) -> TrackerDoc:
        """The tracker of ``agent`` (default: the acting agent's own); at most ``completed``
        completed tasks, the newest."""
        access = await self.projects.access(actor, slug)
        agent = agent or access.agent_name
        if agent is None:
            raise Invalid("name the agent whose tracker to read", field="agent")
        if not 0 <= completed <= COMPLETED_MAX:
            raise Invalid(f"completed is 0 to {COMPLETED_MAX}", field="completed")
        await require_on_roster(self.session, access.project, agent, "agent")
        # Two branches, each on its own index: the tasks on the agent's tracker, and the shared
        # tasks it holds. As one OR, SQLite read every trackerless task of the project.
        branches = (
            (Task.project_id == access.project.id) & (Task.tracker == agent),
            (Task.project_id == access.project.id) & Task.tracker.is_(None) & (Task.owner == agent),
        )
        hidden: dict[str, int] = {}
        rows: list[Task] = []
        for status in (*_UNFINISHED, Status.COMPLETED):
            cap = completed if status == Status.COMPLETED else SECTION_MAX
            found, total = await self._section(branches, status, cap)
            rows += found
            if total > cap:
                hidden[status.value] = total - cap
        tasks = tuple(tracker_task(view) for view in await self.store.views(rows))
        return TrackerDoc(access.project.slug, agent, tasks, hidden)

    async def _section(
        self, branches: tuple[ColumnElement[bool], ...], status: Status, cap: int
    ) -> tuple[list[Task], int]:
        """The first ``cap`` tasks of one section, in the file's order, and how many there are."""
        done = status == Status.COMPLETED
        found: list[Task] = []
        total = 0
        for branch in branches:
            where = branch & (Task.status == status.value)
            query = select(Task).where(where)
            if done:
                query = query.order_by(Task.completed_at.desc(), Task.number.desc())
            else:
                query = query.order_by(Task.priority, Task.number)
            part = list((await self.session.scalars(query.limit(cap))).all())
            found += part
            if len(part) < cap:
                total += len(part)
            else:
                counted = await self.session.scalar(
                    select(func.count()).select_from(Task).where(where)
                )
                total += int(counted or 0)
        if done:
            found.sort(key=_newest_first)
        else:
            found.sort(key=lambda t: (t.priority, t.number))
        return found[:cap], total

    async def markdown(
        self,
        actor: Actor,
        slug: str,
        agent: str | None = None,
        *,
        completed: int = COMPLETED_MAX,
    ) -> str:
        """The tracker as markdown (``<agent>-tracker.md``)."""
        doc = await self.tracker(actor, slug, agent, completed=completed)
        stored = await self.session.scalar(
            select(Agent.tracker_style)
            .join(Project, Project.id == Agent.project_id)
            .where(Project.slug == doc.project, Agent.name == doc.agent)
        )
        return render_tracker(doc, _stored(TrackerStyle, stored))

    async def changelog(self, actor: Actor, slug: str) -> ChangelogDoc:
        """Every changelog entry of the project, oldest first, with its linked task numbers."""
        access = await self.projects.access(actor, slug)
        entries = list(
            (
                await self.session.scalars(
                    select(ChangelogEntry)
                    .where(ChangelogEntry.project_id == access.project.id)
                    .order_by(ChangelogEntry.id)
                )
            ).all()
        )
        numbers: dict[int, list[int]] = {}
        linked = await self.session.execute(
            select(ChangelogTaskLink.entry_id, Task.number)
            .join(Task, Task.id == ChangelogTaskLink.task_id)
            .join(ChangelogEntry, ChangelogEntry.id == ChangelogTaskLink.entry_id)
            .where(ChangelogEntry.project_id == access.project.id)
            .order_by(Task.number)
        )
        for entry_id, number in linked:
            numbers.setdefault(entry_id, []).append(number)
        records = tuple(
            ChangelogRecord(
                title=e.title,
                agent=e.agent,
                day=e.created_at.date(),
                problem=e.problem,
                fix=e.fix,
                files=tuple(e.files),
                verification=e.verification,
                tasks=tuple(numbers.get(e.id, ())),
                entry_id=e.id,
                source=e.source,
            )
            for e in entries
        )
        return ChangelogDoc(access.project.slug, records)

    async def changelog_markdown(self, actor: Actor, slug: str) -> str:
        """The changelog as markdown (``CHANGELOG.md``)."""
        doc = await self.changelog(actor, slug)
        stored = await self.session.scalar(
            select(Project.changelog_style).where(Project.slug == doc.project)
        )
        return render_changelog(doc, _stored(ChangelogStyle, stored))

    async def set_style(self, actor: Actor, slug: str, agent: str | None, data: object) -> None:
        """Remember how a file is written: ``agent``'s tracker, or (None) the changelog.

        Members and the project's agents may (sync learns a file's style as it reads it)."""
        access = await self.projects.access(actor, slug, need=Role.AGENT, write=True)
        kind: type[TrackerStyle] | type[ChangelogStyle] = (
            ChangelogStyle if agent is None else TrackerStyle
        )
        try:
            style = kind.from_json(data).to_json()
        except ValueError as exc:
            raise Invalid(f"not a {_KIND[kind]} style: {exc}", field="style") from None
        if agent is None:
            access.project.changelog_style = style
        else:
            await require_on_roster(self.session, access.project, agent, "agent")
            await self.session.execute(
                update(Agent)
                .where(Agent.project_id == access.project.id, Agent.name == agent)
                .values(tracker_style=style)
            )
        record_event(
            self.session,
            actor,
            "markdown.style_learned",
            f"file:{'changelog' if agent is None else agent}",
            {"agent": agent},
            project_id=access.project.id,
        )

    async def report_refused(
        self, actor: Actor, slug: str, path: str, refused: list[tuple[int, str, str]]
    ) -> None:
        """Record what ``crewboard sync`` could not apply of one file (line, text, reason),
        so the dashboard shows it where a lead looks (the activity feed)."""
        access = await self.projects.access(actor, slug, need=Role.AGENT, write=True)
        if not (path == CHANGELOG_PATH or (path.startswith(TRACKERS_DIR) and path.endswith(".md"))):
            raise Invalid(f"{path} is not a file crewboard sync writes", field="file")
        if ".." in path.split("/") or len(path) > 300:
            raise Invalid(f"{path} is not a file crewboard sync writes", field="file")
        if not 1 <= len(refused) <= REFUSED_MAX:
            raise Invalid(f"name 1 to {REFUSED_MAX} refused lines", field="refused")
        items = [
            {
                "line": line,
                "text": _one_line(text, "text", required=False),
                "reason": _one_line(reason, "reason", required=True),
            }
            for line, text, reason in refused
        ]
        record_event(
            self.session,
            actor,
            "sync.refused",
            f"file:{path}",
            {"refused": items},
            project_id=access.project.id,
        )
