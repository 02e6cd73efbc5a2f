"""The changelog: append-only entries (problem, fix, files, verification), linked to tasks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models.changelog import ChangelogEntry, ChangelogTaskLink
from crewboard.models.tasks import Task
from crewboard.services.core import (
    Actor,
    Invalid,
    NotFound,
    Page,
    check_limit,
    check_text,
    decode_cursor,
    page_of,
    record_event,
)
from crewboard.services.projects import ProjectAccess, Role
from crewboard.services.tasks.rules import (
    BODY_MAX,
    CHANGELOG_TITLE_MAX,
    MAX_TASK_LINKS,
    check_files,
    check_one_line,
)
from crewboard.services.tasks.store import TaskStore


@dataclass(frozen=True, slots=True)
class ChangelogDraft:
    """The four parts the seed asks for, plus a title and the tasks it reports on."""

    title: str
    problem: str
    fix: str
    verification: str
    files: Sequence[str] = ()
    task_numbers: Sequence[int] = ()
    source: str | None = None  # the entry as a file wrote it


@dataclass(frozen=True, slots=True)
class EntryView:
    """An entry with the numbers of its tasks."""

    entry: ChangelogEntry
    task_numbers: list[int]


class ChangelogService:
    """Append and read; there is no update and no delete."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.tasks = TaskStore(session, settings)

    async def append(
        self, actor: Actor, slug: str, draft: ChangelogDraft, *, as_agent: str | None = None
    ) -> EntryView:
        """Append an entry written by the acting agent."""
        access = await self.tasks.projects.access(actor, slug, need=Role.AGENT, write=True)
        return await self.append_in(actor, access, draft, as_agent=as_agent)

    async def append_in(
        self, actor: Actor, access: ProjectAccess, draft: ChangelogDraft, *, as_agent: str | None
    ) -> EntryView:
        """Append within an access already checked (task completion appends this way)."""
        agent = await self.tasks.acting_agent(access, as_agent)
        if agent is None:
            raise Invalid(
                "a changelog entry is written by an agent: name it (as_agent)", field="as_agent"
            )
        if len(draft.task_numbers) > MAX_TASK_LINKS:
            raise Invalid(f"at most {MAX_TASK_LINKS} linked tasks", field="task_ids")
        numbers = list(dict.fromkeys(draft.task_numbers))
        linked: list[Task] = []
        if numbers:
            rows = await self.session.scalars(
                select(Task).where(Task.project_id == access.project.id, Task.number.in_(numbers))
            )
            linked = list(rows)
            missing = sorted(set(numbers) - {t.number for t in linked})
            if missing:
                raise NotFound("no task " + ", ".join(f"#{n}" for n in missing), field="task_ids")
        entry = ChangelogEntry(
            project_id=access.project.id,
            agent=agent,
            title=check_one_line(draft.title, "title", CHANGELOG_TITLE_MAX),
            problem=check_text(draft.problem, "problem", BODY_MAX, required=False),
            fix=check_text(draft.fix, "fix", BODY_MAX),
            files=check_files(list(draft.files)),
            verification=check_text(draft.verification, "verified", BODY_MAX),
            source=None
            if draft.source is None
            else check_text(draft.source, "source", BODY_MAX, required=False) or None,
            created_by=actor.label,
        )
        self.session.add(entry)
        await self.session.flush()
        for task in linked:
            self.session.add(ChangelogTaskLink(entry_id=entry.id, task_id=task.id))
        record_event(
            self.session,
            actor,
            "changelog.appended",
            f"changelog:{entry.id}",
            {"agent": agent, "title": entry.title, "tasks": numbers},
            project_id=access.project.id,
        )
        await self.session.flush()
        return EntryView(entry, sorted(numbers))

    async def list(
        self,
        actor: Actor,
        slug: str,
        *,
        agent: str | None = None,
        task_number: int | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> Page[EntryView]:
        """Entries oldest first (the order of CHANGELOG.md), filtered by agent or task."""
        access = await self.tasks.projects.access(actor, slug)
        after = decode_cursor(cursor)
        query = (
            select(ChangelogEntry)
            .where(ChangelogEntry.project_id == access.project.id)
            .order_by(ChangelogEntry.id)
            .limit(check_limit(limit) + 1)
        )
        if agent is not None:
            query = query.where(ChangelogEntry.agent == agent)
        if task_number is not None:
            query = (
                query.join(ChangelogTaskLink, ChangelogTaskLink.entry_id == ChangelogEntry.id)
                .join(Task, Task.id == ChangelogTaskLink.task_id)
                .where(Task.number == task_number)
            )
        if after is not None:
            query = query.where(ChangelogEntry.id > after)
        rows = list((await self.session.scalars(query)).all())
        links = await _task_numbers(self.session, [e.id for e in rows])
        views = [EntryView(e, links.get(e.id, [])) for e in rows]
        return page_of(views, limit, lambda v: v.entry.id)


async def _task_numbers(session: AsyncSession, entry_ids: list[int]) -> dict[int, list[int]]:
    """The task numbers linked to each entry."""
    if not entry_ids:
        return {}
    rows = await session.execute(
        select(ChangelogTaskLink.entry_id, Task.number)
        .join(Task, Task.id == ChangelogTaskLink.task_id)
        .where(ChangelogTaskLink.entry_id.in_(entry_ids))
        .order_by(Task.number)
    )
    result: dict[int, list[int]] = {}
    for entry_id, number in rows:
        result.setdefault(entry_id, []).append(number)
    return result
