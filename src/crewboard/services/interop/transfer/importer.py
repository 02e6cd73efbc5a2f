"""Import a project export into a new project, in the caller's one transaction.

Ids are the target database's own: teams, tasks, messages, changelog entries and events
get new ones (in the file's order, so message ids still order an inbox), and every
reference is remapped. Task numbers, versions and timestamps are kept as they were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.models import Base, Project, User
from crewboard.services.accounts import UserService
from crewboard.services.core import Actor, Conflict, Invalid, check_email, check_slug, record_event
from crewboard.services.interop.transfer.plan import Plan

_MESSAGE_SUBJECT = re.compile(r"^message:(\d+)$")


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


@dataclass
class ImportReport:
    """What an import made."""

    slug: str
    source_slug: str
    counts: dict[str, int] = field(default_factory=dict)
    users_created: list[str] = field(default_factory=list)


class ProjectImport:
    """Writes a checked ``Plan`` as a new project (admins; the command acts on the database)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def run(
        self,
        actor: Actor,
        plan: Plan,
        *,
        name: str,
        slug: str | None = None,
        create_users: bool = False,
    ) -> ImportReport:
        """Import ``plan`` (read from file ``name``) as project ``slug`` (default: its own)."""
        actor.require_admin()
        actor.require_write()
        target = check_slug(slug or plan.project.slug)
        if await self.session.scalar(select(Project.id).where(Project.slug == target)):
            raise Conflict(
                f"project {target} exists; import under another slug with --slug",
                code="duplicate",
            )
        report = ImportReport(slug=target, source_slug=plan.project.slug)
        users = await self._users(actor, plan, name, create_users, report)
        project = Project(
            slug=target,
            name=plan.project.name,
            repo_path=plan.project.repo_path,
            created_at=plan.project.created_at,
            changelog_style=plan.project.changelog_style,
        )
        self.session.add(project)
        await self.session.flush()
        pid = project.id
        await self._rows(
            "agents", [{"project_id": pid, **r.model_dump(exclude={"type"})} for r in plan.agents]
        )
        await self._rows(
            "members",
            [
                {
                    "project_id": pid,
                    "user_id": users[check_email(r.email)],
                    "role": r.role,
                    "agent_name": r.agent_name,
                    "created_at": r.created_at,
                }
                for r in plan.members
            ],
        )
        teams = await self._teams(pid, plan)
        tasks = await self._tasks(pid, plan, teams)
        await self._rows(
            "task_dependencies",
            [
                {"task_id": tasks[r.task], "blocked_by_id": tasks[r.blocked_by]}
                for r in plan.dependencies
            ],
        )
        messages = await self._messages(pid, plan, teams)
        await self._changelog(pid, plan, tasks)
        await self._rows(
            "events",
            [
                {
                    "project_id": pid,
                    "at": r.at,
                    "actor": r.actor,
                    "kind": r.kind,
                    "subject": _subject(r.subject, messages),
                    "data": r.data,
                }
                for r in plan.events
            ],
        )
        report.counts = {
            "agents": len(plan.agents),
            "members": len(plan.members),
            "teams": len(plan.teams),
            "tasks": len(plan.tasks),
            "dependencies": len(plan.dependencies),
            "messages": len(plan.messages),
            "deliveries": len(plan.deliveries),
            "changelog": len(plan.changelog),
            "events": len(plan.events),
        }
        record_event(
            self.session,
            actor,
            "project.imported",
            f"project:{target}",
            {
                "from": plan.project.slug,
                "file": name,
                "counts": report.counts,
                "users_created": report.users_created,
            },
            project_id=pid,
        )
        await self.session.flush()
        return report

    async def _users(
        self, actor: Actor, plan: Plan, name: str, create: bool, report: ImportReport
    ) -> dict[str, int]:
        """The user id of every member's e-mail; missing users are made only when asked."""
        emails = {check_email(r.email): r for r in plan.members}
        rows = await self.session.execute(
            select(User.email, User.id).where(User.email.in_(list(emails)))
        )
        found = dict(rows.all())
        service = UserService(self.session)
        for email, record in emails.items():
            if email in found:
                continue
            if not create:
                line = plan.member_lines.get(email, 1)
                raise Invalid(
                    f"{name}:{line}: no user with e-mail {email} on this instance; create it "
                    "first (crewboard user add) or pass --create-users",
                    field="file",
                )
            # No password: the person signs in once an admin sets one or issues a token.
            user = await service.create(actor, email=email, name=record.name)
            found[email] = user.id
            report.users_created.append(email)
        return found

    async def _rows(self, table: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(_table(table)), rows)

    async def _new_ids(self, table: str, rows: list[dict[str, Any]]) -> list[int]:
        """Insert rows and return their new ids in the rows' order."""
        if not rows:
            return []
        t = _table(table)
        result = await self.session.execute(
            insert(t).returning(t.c.id, sort_by_parameter_order=True), rows
        )
        return list(result.scalars().all())

    async def _teams(self, pid: int, plan: Plan) -> dict[int, int]:
        ids = await self._new_ids(
            "teams",
            [{"project_id": pid, **r.model_dump(exclude={"type", "id"})} for r in plan.teams],
        )
        teams = {r.id: new for r, new in zip(plan.teams, ids, strict=True)}
        await self._rows(
            "team_members",
            [
                {"team_id": teams[r.team], "agent_name": r.agent_name, "joined_at": r.joined_at}
                for r in plan.team_members
            ],
        )
        await self._rows(
            "claude_teams",
            [
                {"team_id": teams[r.team], "config": r.config, "imported_at": r.imported_at}
                for r in plan.claude_teams
            ],
        )
        return teams

    async def _tasks(self, pid: int, plan: Plan, teams: dict[int, int]) -> dict[int, int]:
        """Insert the tasks; returns task number -> new id. Sources are set once all exist."""
        rows = []
        for r in plan.tasks:
            row = r.model_dump(exclude={"type", "team", "source", "metadata"})
            row.update(
                project_id=pid,
                metadata=r.metadata,
                source_task_id=None,
                team_id=teams[r.team] if r.team is not None else None,
            )
            rows.append(row)
        ids = await self._new_ids("tasks", rows)
        tasks = {r.number: new for r, new in zip(plan.tasks, ids, strict=True)}
        t = _table("tasks")
        sources = [{"tid": tasks[r.number], "sid": tasks[r.source]} for r in plan.tasks if r.source]
        if sources:
            await self.session.execute(
                update(t).where(t.c.id == bindparam("tid")).values(source_task_id=bindparam("sid")),
                sources,
            )
        return tasks

    async def _messages(self, pid: int, plan: Plan, teams: dict[int, int]) -> dict[int, int]:
        rows = []
        for r in plan.messages:
            row = r.model_dump(exclude={"type", "id", "team", "reply_to"})
            row.update(
                project_id=pid, reply_to=None, team_id=teams[r.team] if r.team is not None else None
            )
            rows.append(row)
        ids = await self._new_ids("messages", rows)
        messages = {r.id: new for r, new in zip(plan.messages, ids, strict=True)}
        t = _table("messages")
        replies = [
            {"mid": messages[r.id], "rid": messages[r.reply_to]}
            for r in plan.messages
            if r.reply_to is not None
        ]
        if replies:
            await self.session.execute(
                update(t).where(t.c.id == bindparam("mid")).values(reply_to=bindparam("rid")),
                replies,
            )
        await self._rows(
            "deliveries",
            [
                {
                    "message_id": messages[r.message],
                    "recipient": r.recipient,
                    "project_id": pid,
                    "read_at": r.read_at,
                    "acked_at": r.acked_at,
                }
                for r in plan.deliveries
            ],
        )
        await self._rows(
            "claude_messages",
            [{"message_id": messages[r.message], "entry": r.entry} for r in plan.claude_messages],
        )
        return messages

    async def _changelog(self, pid: int, plan: Plan, tasks: dict[int, int]) -> None:
        ids = await self._new_ids(
            "changelog_entries",
            [
                {"project_id": pid, **r.model_dump(exclude={"type", "id", "tasks"})}
                for r in plan.changelog
            ],
        )
        await self._rows(
            "changelog_task_links",
            [
                {"entry_id": new, "task_id": tasks[number]}
                for r, new in zip(plan.changelog, ids, strict=True)
                for number in r.tasks
            ],
        )


def _subject(subject: str, messages: dict[int, int]) -> str:
    """An event about a message names its new id (other subjects name numbers or slugs)."""
    match = _MESSAGE_SUBJECT.match(subject)
    if match and int(match.group(1)) in messages:
        return f"message:{messages[int(match.group(1))]}"
    return subject
