"""Export a whole project as JSON lines, read from one consistent snapshot.

Secrets stay behind: no credentials (tokens, web sessions), no password hashes, and no
webhooks (their signing secret is the point of them; re-create them on the target).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard import __version__
from crewboard.models import (
    Agent,
    ChangelogEntry,
    ChangelogTaskLink,
    ClaudeInboxEntry,
    ClaudeTeamFile,
    Delivery,
    Event,
    Member,
    Message,
    Project,
    Task,
    TaskDependency,
    Team,
    TeamMember,
    User,
    utcnow,
)
from crewboard.services.core import Actor, NotFound, check_slug
from crewboard.services.interop.transfer.records import (
    FORMAT,
    VERSION,
    AgentRecord,
    ChangelogRecord,
    ClaudeMessageRecord,
    ClaudeTeamRecord,
    DeliveryRecord,
    DependencyRecord,
    EventRecord,
    Header,
    MemberRecord,
    MessageRecord,
    ProjectRecord,
    Record,
    Role,
    TaskRecord,
    TeamMemberRecord,
    TeamRecord,
)


def dump(record: Record) -> str:
    """One line of the file (no newline)."""
    return record.model_dump_json()


class ProjectExport:
    """Reads every record of one project (admins: the command acts on the database)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def run(self, actor: Actor, slug: str) -> list[str]:
        """The file's lines, header first. Call it first thing in a read transaction."""
        actor.require_admin()
        if self.session.get_bind().dialect.name == "postgresql":
            # One snapshot for every SELECT below (READ COMMITTED takes one per statement).
            await self.session.execute(
                text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            )
        project = await self.session.scalar(select(Project).where(Project.slug == check_slug(slug)))
        if project is None:
            raise NotFound(f"project {slug} not found")
        header = Header.model_construct(
            format=FORMAT, version=VERSION, exported_at=utcnow(), crewboard=__version__
        )
        lines = [dump(header)]
        async for record in self._records(project):
            lines.append(dump(record))
        return lines

    async def _records(self, project: Project) -> AsyncIterator[Record]:
        """Every record in the order an importer applies them (see records.ORDER)."""
        pid = project.id
        yield ProjectRecord.model_construct(
            slug=project.slug,
            name=project.name,
            repo_path=project.repo_path,
            created_at=project.created_at,
            changelog_style=project.changelog_style,
        )
        for agent in await self._all(
            select(Agent).where(Agent.project_id == pid).order_by(Agent.id)
        ):
            yield AgentRecord.model_construct(
                name=agent.name,
                domain=agent.domain,
                tracker_path=agent.tracker_path,
                created_at=agent.created_at,
                tracker_style=agent.tracker_style,
            )
        members = await self.session.execute(
            select(Member, User.email, User.name)
            .join(User, User.id == Member.user_id)
            .where(Member.project_id == pid)
            .order_by(User.email)
        )
        for member, email, name in members:
            yield MemberRecord.model_construct(
                email=email,
                name=name,
                role=cast(Role, member.role),
                agent_name=member.agent_name,
                created_at=member.created_at,
            )
        for record in await self._teams(pid):
            yield record
        ids = await self.session.execute(select(Task.id, Task.number).where(Task.project_id == pid))
        numbers = dict(ids.all())
        for task in await self._all(
            select(Task).where(Task.project_id == pid).order_by(Task.number)
        ):
            yield _task(task, numbers)
        deps = await self.session.execute(
            select(TaskDependency.task_id, TaskDependency.blocked_by_id)
            .join(Task, Task.id == TaskDependency.task_id)
            .where(Task.project_id == pid)
        )
        for task_number, blocker in sorted((numbers[a], numbers[b]) for a, b in deps.all()):
            yield DependencyRecord.model_construct(task=task_number, blocked_by=blocker)
        for record in await self._messages(pid):
            yield record
        for record in await self._changelog(pid, numbers):
            yield record
        for event in await self._all(
            select(Event).where(Event.project_id == pid).order_by(Event.id)
        ):
            yield EventRecord.model_construct(
                at=event.at,
                actor=event.actor,
                kind=event.kind,
                subject=event.subject,
                data=event.data,
            )

    async def _all(self, query: Any) -> list[Any]:
        return list((await self.session.scalars(query)).all())

    async def _teams(self, pid: int) -> list[Record]:
        teams = await self._all(select(Team).where(Team.project_id == pid).order_by(Team.id))
        ids = [team.id for team in teams]
        records: list[Record] = [
            TeamRecord.model_construct(
                id=team.id,
                name=team.name,
                description=team.description,
                lead=team.lead,
                created_at=team.created_at,
                deleted_at=team.deleted_at,
            )
            for team in teams
        ]
        members = await self._all(
            select(TeamMember)
            .where(TeamMember.team_id.in_(ids))
            .order_by(TeamMember.team_id, TeamMember.agent_name)
        )
        records += [
            TeamMemberRecord.model_construct(
                team=m.team_id, agent_name=m.agent_name, joined_at=m.joined_at
            )
            for m in members
        ]
        files = await self._all(
            select(ClaudeTeamFile)
            .where(ClaudeTeamFile.team_id.in_(ids))
            .order_by(ClaudeTeamFile.team_id)
        )
        records += [
            ClaudeTeamRecord.model_construct(
                team=f.team_id, config=f.config, imported_at=f.imported_at
            )
            for f in files
        ]
        return records

    async def _messages(self, pid: int) -> list[Record]:
        messages = await self._all(
            select(Message).where(Message.project_id == pid).order_by(Message.id)
        )
        records: list[Record] = [
            MessageRecord.model_construct(
                id=m.id,
                team=m.team_id,
                sender=m.sender,
                kind=m.kind,
                body=m.body,
                summary=m.summary,
                request_id=m.request_id,
                reply_to=m.reply_to,
                approve=m.approve,
                created_at=m.created_at,
            )
            for m in messages
        ]
        deliveries = await self._all(
            select(Delivery)
            .where(Delivery.project_id == pid)
            .order_by(Delivery.message_id, Delivery.recipient)
        )
        records += [
            DeliveryRecord.model_construct(
                message=d.message_id, recipient=d.recipient, read_at=d.read_at, acked_at=d.acked_at
            )
            for d in deliveries
        ]
        entries = await self._all(
            select(ClaudeInboxEntry)
            .join(Message, Message.id == ClaudeInboxEntry.message_id)
            .where(Message.project_id == pid)
            .order_by(ClaudeInboxEntry.message_id)
        )
        records += [
            ClaudeMessageRecord.model_construct(message=e.message_id, entry=e.entry)
            for e in entries
        ]
        return records

    async def _changelog(self, pid: int, numbers: dict[int, int]) -> list[Record]:
        entries = await self._all(
            select(ChangelogEntry)
            .where(ChangelogEntry.project_id == pid)
            .order_by(ChangelogEntry.id)
        )
        links = await self.session.execute(
            select(ChangelogTaskLink.entry_id, ChangelogTaskLink.task_id)
            .join(ChangelogEntry, ChangelogEntry.id == ChangelogTaskLink.entry_id)
            .where(ChangelogEntry.project_id == pid)
        )
        tasks: dict[int, list[int]] = {}
        for entry_id, task_id in links.all():
            tasks.setdefault(entry_id, []).append(numbers[task_id])
        return [
            ChangelogRecord.model_construct(
                id=e.id,
                agent=e.agent,
                title=e.title,
                problem=e.problem,
                fix=e.fix,
                files=e.files,
                verification=e.verification,
                created_by=e.created_by,
                created_at=e.created_at,
                tasks=sorted(tasks.get(e.id, [])),
                source=e.source,
            )
            for e in entries
        ]


def _task(task: Task, numbers: dict[int, int]) -> TaskRecord:
    return TaskRecord.model_construct(
        number=task.number,
        title=task.title,
        description=task.description,
        active_form=task.active_form,
        tracker=task.tracker,
        owner=task.owner,
        status=task.status,
        priority=task.priority,
        blocked_reason=task.blocked_reason,
        needs_agent=task.needs_agent,
        team=task.team_id,
        source=numbers.get(task.source_task_id) if task.source_task_id else None,
        outcome=task.outcome,
        files=task.files,
        verified=task.verified,
        lease_expires_at=task.lease_expires_at,
        metadata=task.meta,
        version=task.version,
        created_by=task.created_by,
        created_at=task.created_at,
        updated_at=task.updated_at,
        completed_at=task.completed_at,
    )
