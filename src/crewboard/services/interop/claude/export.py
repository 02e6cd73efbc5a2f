"""A crewboard team as Claude Code's files: ``config.json``, one file per task, the inboxes.

Only reads the database: the caller writes the files (``files.write_files``). What an
import kept (the config, the exact inbox entries) is written back as it was; what changed
in crewboard since (members, lead, description, tasks, new messages, read flags) is
written from crewboard's state. Mapping and equivalence: docs/claude-code.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models.claude import ClaudeInboxEntry, ClaudeTeamFile
from crewboard.models.messages import Delivery, Message
from crewboard.models.tasks import Task
from crewboard.services.core import Actor
from crewboard.services.interop.claude.files import team_paths
from crewboard.services.interop.claude.formats import (
    META_KEY,
    MessageOut,
    TaskOut,
    id_order,
    inbox_entry,
    task_file,
    to_millis,
)
from crewboard.services.messages import is_agent_address
from crewboard.services.tasks import TaskStore
from crewboard.services.teams import TeamService, TeamView

DEFAULT_AGENT_TYPE = "general-purpose"


@dataclass(frozen=True, slots=True)
class TeamExport:
    """The files of one team: relative path → JSON data, in writing order."""

    team: str
    files: dict[str, Any]


def kept_id(task: Task) -> str | None:
    """The Claude id an import kept in the task's metadata, if it is a usable one."""
    kept = task.meta.get(META_KEY) if isinstance(task.meta, dict) else None
    value = kept.get("id") if isinstance(kept, dict) else None
    return value if isinstance(value, str) and value.isdigit() else None


def claude_ids(tasks: list[Task]) -> dict[int, str]:
    """Task id → Claude id: the kept one, else the next free number (in task-number order),
    so that a task made in crewboard never takes the file of an imported one."""
    ids: dict[int, str] = {}
    taken: set[str] = set()
    for task in tasks:
        value = kept_id(task)
        if value is not None and value not in taken:
            ids[task.id] = value
            taken.add(value)
    highest = max((int(v) for v in taken), default=0)
    for task in tasks:
        if task.id not in ids:
            highest += 1
            ids[task.id] = str(highest)
    return ids


class ClaudeTeamExport:
    """Build the Claude Code files of a team (anyone who may read the project)."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.teams = TeamService(session, settings)
        self.tasks = TaskStore(session, settings)

    async def run(self, actor: Actor, slug: str, name: str) -> TeamExport:
        """Every file of team ``name``: its config, its tasks, its members' inboxes."""
        view = await self.teams.get(actor, slug, name)
        access = await self.tasks.projects.access(actor, slug)
        record = await self.session.get(ClaudeTeamFile, view.team.id)
        kept = dict(record.config) if record is not None else {}
        config_path, tasks_dir, inbox_dir = team_paths(name)
        config = self._config(view, kept, access.project.repo_path or "")
        files: dict[str, Any] = {config_path: config}
        colours = {m["name"]: m.get("color") for m in config["members"] if "name" in m}
        for claude_id, data in await self._tasks(view):
            files[f"{tasks_dir}/{claude_id}.json"] = data
        inboxes = await self._inboxes(view, access.project.id, colours)
        for agent in sorted(inboxes):
            files[f"{inbox_dir}/{agent}.json"] = inboxes[agent]
        return TeamExport(name, files)

    @staticmethod
    def _config(view: TeamView, kept: dict[str, Any], cwd: str) -> dict[str, Any]:
        """The kept config with crewboard's name, description, lead and members."""
        team = view.team
        old_members = [m for m in kept.get("members", []) if isinstance(m, dict)]
        old_lead = str(kept.get("leadAgentId") or "").split("@", 1)[0] or None
        config: dict[str, Any] = {
            "name": team.name,
            "description": team.description,
            "createdAt": kept.get("createdAt", to_millis(team.created_at)),
        }
        if team.lead is not None:
            same = old_lead == team.lead and kept.get("leadAgentId")
            config["leadAgentId"] = same or f"{team.lead}@{team.name}"
        for key, value in kept.items():
            if key not in config and key not in ("members", "leadAgentId"):
                config[key] = value
        current = {m.agent_name: m for m in view.members}
        members = [m for m in old_members if m.get("name") in current]
        known = {m.get("name") for m in members}
        for name, member in current.items():
            if name not in known:
                members.append(
                    {
                        "agentId": f"{name}@{team.name}",
                        "name": name,
                        "agentType": "team-lead" if name == team.lead else DEFAULT_AGENT_TYPE,
                        "joinedAt": to_millis(member.joined_at),
                        "tmuxPaneId": "",
                        "cwd": cwd,
                        "subscriptions": [],
                    }
                )
        config["members"] = members
        return config

    async def _tasks(self, view: TeamView) -> list[tuple[str, dict[str, Any]]]:
        """The team's tasks as (Claude id, file data), in id order. A dependency on a task
        outside the team has no file to point at and is left out."""
        tasks = list(
            (
                await self.session.scalars(
                    select(Task).where(Task.team_id == view.team.id).order_by(Task.number)
                )
            ).all()
        )
        ids = claude_ids(tasks)
        by_number = {t.number: ids[t.id] for t in tasks}
        out = []
        for link in await self.tasks.views(tasks):
            task = link.task
            row = TaskOut(
                claude_id=ids[task.id],
                subject=task.title,
                description=task.description,
                active_form=task.active_form,
                status=task.status,
                owner=task.owner,
                blocks=[by_number[n] for n in link.blocks if n in by_number],
                blocked_by=[by_number[n] for n in link.blocked_by if n in by_number],
                metadata=dict(task.meta or {}),
                blocked_reason=task.blocked_reason,
                needs_agent=task.needs_agent,
            )
            data = task_file(row)
            out.append((ids[task.id], data))
        return sorted(out, key=lambda pair: id_order(pair[0]))

    async def _inboxes(
        self, view: TeamView, project_id: int, colours: dict[str, Any]
    ) -> dict[str, list[dict[str, Any]]]:
        """Each agent's inbox: the team's messages, and direct messages between two of its
        members since the team began, oldest first, each with the delivery's read flag."""
        team = view.team
        members = [m.agent_name for m in view.members]
        between_members = and_(
            Message.team_id.is_(None),
            Message.sender.in_(members),
            Delivery.recipient.in_(members),
            Message.created_at >= team.created_at,
        )
        rows = (
            await self.session.execute(
                select(Message, Delivery.recipient, Delivery.read_at)
                .join(Delivery, Delivery.message_id == Message.id)
                .where(
                    Message.project_id == project_id,
                    or_(Message.team_id == team.id, between_members),
                )
                .order_by(Message.id, Delivery.recipient)
            )
        ).all()
        ids = list({message.id for message, _, _ in rows})
        kept: dict[int, dict[str, Any]] = {}
        if ids:
            entries = await self.session.scalars(
                select(ClaudeInboxEntry).where(ClaudeInboxEntry.message_id.in_(ids))
            )
            kept = {e.message_id: dict(e.entry) for e in entries}
        inboxes: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for message, recipient, read_at in rows:
            if not is_agent_address(recipient):
                continue  # a person's inbox is not a Claude Code file
            read = read_at is not None
            if message.id in kept:
                inboxes[recipient].append({**kept[message.id], "read": read})
                continue
            colour = colours.get(message.sender)
            out = MessageOut(
                sender=message.sender,
                kind=message.kind,
                body=message.body,
                summary=message.summary,
                request_id=message.request_id,
                approve=message.approve,
                created_at=message.created_at,
                color=colour if isinstance(colour, str) else None,
            )
            inboxes[recipient].append(inbox_entry(out, read))
        return dict(inboxes)
