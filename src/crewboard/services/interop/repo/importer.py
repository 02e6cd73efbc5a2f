"""``crewboard init``: a repository's ``.claude/`` folder into a project, in one transaction.

The files are read and planned first (files, plan: no database); this writes the
plan: the project if it is new, the roster, the tasks with the numbers, statuses, owners,
reasons, completion records and dates the trackers give, their links, and the changelog
entries. History is written as it was, not re-checked against the live transition rules.
A project that already has tasks or changelog entries is refused. Rules: docs/init.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import Agent, Project, User, utcnow
from crewboard.models.changelog import ChangelogEntry, ChangelogTaskLink
from crewboard.models.tasks import Task, TaskDependency
from crewboard.services.accounts import UserService
from crewboard.services.core import Actor, Conflict, Invalid, record_event
from crewboard.services.interop.repo.files import FileNote
from crewboard.services.interop.repo.plan import Plan, PlannedEntry, PlannedTask
from crewboard.services.markdown import SOURCE_TEXT, STATUSES
from crewboard.services.projects import (
    ProjectAccess,
    ProjectService,
    Role,
    RosterService,
    on_roster,
)

SOURCE = "init"  # the metadata key that says where an imported task came from


@dataclass(slots=True)
class InitReport:
    """What an init did, and every line it reported instead of importing."""

    project: str
    project_created: bool = False
    agents_added: list[str] = field(default_factory=list)
    agents_kept: list[str] = field(default_factory=list)
    tasks: dict[str, int] = field(default_factory=dict)
    numbered: list[tuple[str, int, int | None, int]] = field(default_factory=list)
    entries: int = 0
    notes: list[FileNote] = field(default_factory=list)


def _midnight(day: date | None) -> datetime | None:
    """A date of a file as a time: the start of that day, UTC (the files keep no times)."""
    return datetime.combine(day, time(0), tzinfo=UTC) if day is not None else None


class RepoImport:
    """Write a plan into a project (admins, or owners and members of an existing project)."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.projects = ProjectService(session)
        self.roster = RosterService(session)

    async def run(
        self,
        actor: Actor,
        slug: str,
        plan: Plan,
        *,
        owner: str | None = None,
        repo_path: str | None = None,
    ) -> InitReport:
        """Create the project if needed, then the roster, the tasks and the entries."""
        report = InitReport(slug, notes=list(plan.notes))
        known = await self.session.scalar(select(Project.id).where(Project.slug == slug))
        if known is None:
            owner_user = await self._owner(actor, owner)
            await self.projects.create(
                actor, slug=slug, repo_path=repo_path, owner_id=owner_user.id
            )
            report.project_created = True
        access = await self.projects.access(actor, slug, need=Role.MEMBER, write=True)
        await self._require_empty(access)
        for name, (domain, _) in plan.agents.items():
            if await on_roster(self.session, access.project, name):
                report.agents_kept.append(name)
            else:
                await self.roster.add(actor, slug, name=name, domain=domain)
                report.agents_added.append(name)
        await self._styles(access, plan)
        now = utcnow()
        rows = {t.number: self._task(access, t, now, actor) for t in plan.tasks}
        self.session.add_all(rows.values())
        await self.session.flush()
        for planned in plan.tasks:
            task = rows[planned.number]
            if planned.follow_up_of is not None:
                task.source_task_id = rows[planned.follow_up_of].id
            self.session.add_all(
                TaskDependency(task_id=task.id, blocked_by_id=rows[n].id) for n in planned.waits_on
            )
            self._created(actor, access, planned)
        for entry in plan.entries:
            await self._entry(actor, access, entry, rows, now)
        await self.session.flush()
        counts = Counter(t.status for t in plan.tasks)
        report.tasks = {status: counts[status] for status in STATUSES}
        report.numbered = [(t.path, t.line, t.written, t.number) for t in plan.numbered]
        report.entries = len(plan.entries)
        record_event(
            self.session,
            actor,
            "project.initialised",
            f"project:{slug}",
            {
                "agents_added": report.agents_added,
                "tasks": report.tasks,
                "changelog_entries": report.entries,
                "not_imported": len(report.notes),
            },
            project_id=access.project.id,
        )
        return report

    async def _styles(self, access: ProjectAccess, plan: Plan) -> None:
        """Remember how each file is written, so crewboard writes it back the same way."""
        for name, style in plan.tracker_styles.items():
            await self.session.execute(
                update(Agent)
                .where(Agent.project_id == access.project.id, Agent.name == name)
                .values(tracker_style=style.to_json())
            )
        if plan.changelog_style is not None:
            access.project.changelog_style = plan.changelog_style.to_json()

    async def _owner(self, actor: Actor, email: str | None) -> User:
        users = UserService(self.session)
        if email is not None:
            return await users.by_email(actor, email)
        admin = await users.sole_admin(actor)
        if admin is None:
            raise Invalid(
                "the project does not exist yet: name its owner with --owner EMAIL (there is "
                "no single active admin to pick by default)",
                field="owner",
            )
        return admin

    async def _require_empty(self, access: ProjectAccess) -> None:
        """Refuse a project with work in it: init fills an empty board, it never merges."""
        # Lock the project row, so that no task is numbered concurrently with the import.
        await self.session.execute(
            select(Project.id).where(Project.id == access.project.id).with_for_update()
        )
        pid = access.project.id
        tasks = await self.session.scalar(select(func.count(Task.id)).where(Task.project_id == pid))
        entries = await self.session.scalar(
            select(func.count(ChangelogEntry.id)).where(ChangelogEntry.project_id == pid)
        )
        if tasks or entries:
            raise Conflict(
                f"project {access.project.slug} already has {tasks} tasks and {entries} "
                "changelog entries; init only imports into a project without any",
                code="not-empty",
            )

    def _task(
        self, access: ProjectAccess, planned: PlannedTask, now: datetime, actor: Actor
    ) -> Task:
        completed = planned.status == "completed"
        done_at = (_midnight(planned.completed_on) or now) if completed else None
        source: dict[str, object] = {"file": planned.path, "line": planned.line}
        if planned.written is not None and planned.written != planned.number:
            source["number"] = planned.written
        if planned.completed_on is not None and not completed:
            source["date"] = planned.completed_on.isoformat()
        if planned.source is not None:
            source[SOURCE_TEXT] = planned.source
        return Task(
            project_id=access.project.id,
            number=planned.number,
            title=planned.title,
            description="",
            tracker=planned.tracker,
            owner=planned.owner,
            status=planned.status,
            priority=planned.priority,
            blocked_reason=planned.blocked_reason,
            needs_agent=planned.needs_agent,
            outcome=planned.outcome,
            files=planned.files,
            verified=planned.verified,
            # No lease: nothing is known about a live session; the owner's next write
            # starts one, and until then the lease job leaves the task alone.
            lease_expires_at=None,
            meta={SOURCE: source},
            created_by=actor.label,
            created_at=done_at or now,
            updated_at=now,
            completed_at=done_at,
        )

    def _created(self, actor: Actor, access: ProjectAccess, planned: PlannedTask) -> None:
        record_event(
            self.session,
            actor,
            "task.created",
            f"task:{planned.number}",
            {
                "title": planned.title,
                "tracker": planned.tracker,
                "team": None,
                "priority": planned.priority,
                "source": planned.follow_up_of,
                "blocked_by": planned.waits_on,
                "status": planned.status,
                "owner": planned.owner,
                "imported_from": f"{planned.path}:{planned.line}",
            },
            project_id=access.project.id,
        )

    async def _entry(
        self,
        actor: Actor,
        access: ProjectAccess,
        planned: PlannedEntry,
        rows: dict[int, Task],
        now: datetime,
    ) -> None:
        entry = ChangelogEntry(
            project_id=access.project.id,
            agent=planned.agent,
            title=planned.title,
            problem=planned.problem,
            fix=planned.fix,
            files=planned.files,
            verification=planned.verification,
            source=planned.source,
            created_by=actor.label,
            created_at=_midnight(planned.day) or now,
        )
        self.session.add(entry)
        await self.session.flush()
        self.session.add_all(
            ChangelogTaskLink(entry_id=entry.id, task_id=rows[n].id) for n in planned.tasks
        )
        record_event(
            self.session,
            actor,
            "changelog.appended",
            f"changelog:{entry.id}",
            {
                "agent": planned.agent,
                "title": planned.title,
                "tasks": planned.tasks,
                "imported_from": f".claude/CHANGELOG.md:{planned.line}",
            },
            project_id=access.project.id,
        )
