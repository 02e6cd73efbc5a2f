"""A rich project made through the services, and helpers to export, import and compare it.

The demo project (six agents, two teams, tasks in every state with dependencies and
completion records, a follow-up, replies, a broadcast, protocol messages, changelog
entries linked to tasks), plus: a deleted team, an imported Claude Code team (its
``claude_teams``/``claude_messages`` rows), a cancelled task with metadata, read and
acknowledged deliveries, a viewer and an agent-role member.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Project, User
from crewboard.services.accounts import UserService
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.interop import seed_demo
from crewboard.services.interop.claude import ClaudeTeamImport, read_team
from crewboard.services.interop.transfer import (
    ImportReport,
    ProjectExport,
    ProjectImport,
    parse_lines,
    plan_import,
)
from crewboard.services.messages import InboxService
from crewboard.services.projects import ProjectService, Role
from crewboard.services.tasks import Status, TaskChange, Tasks
from crewboard.services.teams import TeamService
from tests.support import claude_samples

SYSTEM = Actor.system()
SLUG = "shop"
OWNER = "lead@example.com"


async def build_project(database: Database, settings: Settings, claude_root: Path) -> None:
    """Project ``shop`` with every kind of record an export holds."""
    async with unit_of_work(database, write=True) as session:
        await seed_demo(session, settings, slug=SLUG, email=OWNER)
        users = UserService(session)
        await users.create(SYSTEM, email="viewer@example.com", name="Vi Ewer")
        await users.create(SYSTEM, email="bot@example.com", name="Bot")
        projects = ProjectService(session)
        await projects.set_member(SYSTEM, SLUG, email="viewer@example.com", role=Role.VIEWER)
        await projects.set_member(
            SYSTEM, SLUG, email="bot@example.com", role=Role.AGENT, agent_name="qa"
        )
        await TeamService(session, settings).delete(SYSTEM, SLUG, "web", force=True)
        tasks = Tasks(session, settings)
        await tasks.update(
            SYSTEM, SLUG, 9, TaskChange(status=Status.CANCELLED, metadata={"why": ["scope", 1]})
        )
    claude_samples.write_team(claude_root)
    async with unit_of_work(database, write=True) as session:
        await ClaudeTeamImport(session, settings).run(
            SYSTEM, SLUG, read_team(claude_root, claude_samples.TEAM)
        )
    async with unit_of_work(database, write=True) as session:
        owner = await session.scalar(select(User).where(User.email == OWNER))
        project = await session.scalar(select(Project).where(Project.slug == SLUG))
        assert owner is not None
        assert project is not None
        backend = Actor(
            user_id=owner.id,
            label="backend",
            project_id=project.id,
            project_slug=SLUG,
            agent_name="backend",
        )
        inbox = InboxService(session)
        items = await inbox.list(backend, SLUG)
        assert items.items, "backend has mail"
        await inbox.mark_read(backend, SLUG, ids=[items.items[0].message.id])
        await inbox.acknowledge(backend, SLUG, items.items[-1].message.id)


async def export_lines(database: Database, slug: str = SLUG) -> list[str]:
    """The export of ``slug``, as lines."""
    async with unit_of_work(database, write=False) as session:
        return await ProjectExport(session).run(SYSTEM, slug)


async def import_lines(
    database: Database, lines: list[str], *, slug: str | None = None, create_users: bool = False
) -> ImportReport:
    """Import lines (as a file named ``export.jsonl``)."""
    _, records = parse_lines("export.jsonl", lines)
    plan = plan_import("export.jsonl", records)
    async with unit_of_work(database, write=True) as session:
        return await ProjectImport(session).run(
            SYSTEM, plan, name="export.jsonl", slug=slug, create_users=create_users
        )


_REF_FIELDS = {"team": "team", "message": "message", "reply_to": "message"}
_OWN_ID = {"team": "team", "message": "message", "changelog": "changelog"}


def normalised(lines: list[str]) -> list[dict[str, Any]]:
    """The records without what may differ between two databases: ids (renumbered in file
    order), the export time, the slug, and the events an import itself records."""
    records = [json.loads(line) for line in lines]
    records[0].pop("exported_at")
    ids: dict[tuple[str, int], int] = {}
    for record in records:
        kind = _OWN_ID.get(record.get("type", ""))
        if kind:
            ids[(kind, record["id"])] = len([k for k in ids if k[0] == kind]) + 1
    out = []
    for record in records:
        if record.get("type") == "event" and record["kind"] == "project.imported":
            continue
        kind = _OWN_ID.get(record.get("type", ""))
        if kind:
            record["id"] = ids[(kind, record["id"])]
        for name, target in _REF_FIELDS.items():
            if isinstance(record.get(name), int) and record.get("type") != "dependency":
                record[name] = ids[(target, record[name])]
        if record.get("type") == "project":
            record["slug"] = "*"
        if record.get("type") == "event":
            record["subject"] = re.sub(r"^message:\d+$", "message:*", record["subject"])
        out.append(record)
    return out
