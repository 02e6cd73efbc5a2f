"""Seed a benchmark database quickly: the crew through the services, tasks in bulk."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import insert, select, text

from crewboard.config import Settings
from crewboard.database import Database, migrate
from crewboard.models import utcnow
from crewboard.models.messages import Delivery, Message
from crewboard.models.tasks import Task, TaskDependency
from crewboard.services.accounts import AuthService, UserService
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.projects import ProjectService, RosterService

SLUG = "bench"
SYSTEM = Actor.system()


@dataclass
class Seeded:
    """Tokens of the lead and of each agent."""

    lead_token: str
    agent_tokens: dict[str, str] = field(default_factory=dict)


async def seed(
    url: str, tasks: int, agents: int, *, blocked_share: float = 0.05, messages: int = 0
) -> Seeded:
    """A project with ``agents`` agents and ``tasks`` pending tasks (5 % waiting on another);
    ``messages`` unread messages from the first agent to the second, as an inbox backlog."""
    settings = Settings(database_url=url)
    database = Database(settings)
    rng = random.Random(42)
    try:
        await migrate(database)
        async with unit_of_work(database, write=True) as session:
            lead = await UserService(session).create(SYSTEM, email="lead@bench.test")
            await ProjectService(session).create(SYSTEM, slug=SLUG, owner_id=lead.id)
            names = [f"agent-{i}" for i in range(agents)]
            for name in names:
                await RosterService(session).add(SYSTEM, SLUG, name=name)
            auth = AuthService(session, settings)
            seeded = Seeded((await auth.create_token(SYSTEM, user_id=lead.id)).token)
            for name in names:
                issued = await auth.create_token(
                    SYSTEM, user_id=lead.id, project_slug=SLUG, agent_name=name
                )
                seeded.agent_tokens[name] = issued.token
            project_id = (await ProjectService(session).access(SYSTEM, SLUG)).project.id
        now = utcnow()
        for start in range(0, tasks, 5000):
            rows: list[dict[str, object]] = [
                {
                    "project_id": project_id,
                    "number": n,
                    "title": f"Task {n}",
                    "description": "",
                    "status": "pending",
                    "priority": rng.randint(0, 3),
                    "tracker": names[n % len(names)] if n % 2 else None,
                    "files": [],
                    "meta": {},
                    "version": 1,
                    "created_by": "bench",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(start + 1, min(start + 5000, tasks) + 1)
            ]
            async with unit_of_work(database, write=True) as session:
                await session.execute(insert(Task), rows)
        edges = [
            {"task_id": n, "blocked_by_id": rng.randint(1, n - 1)}
            for n in range(2, tasks + 1)
            if rng.random() < blocked_share
        ]
        if edges:
            async with unit_of_work(database, write=True) as session:
                await session.execute(insert(TaskDependency), edges)
        if messages:
            await _backlog(database, project_id, names[0], names[1], messages)
        # After a bulk load the planner needs statistics, as autovacuum would gather them.
        async with database.engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
            await conn.commit()
        return seeded
    finally:
        await database.dispose()


async def _backlog(database: Database, project_id: int, sender: str, to: str, count: int) -> None:
    """``count`` direct messages ``sender`` → ``to``, bulk-inserted with their deliveries."""
    now = utcnow()
    for start in range(0, count, 5000):
        size = min(5000, count - start)
        rows = [
            {
                "project_id": project_id,
                "sender": sender,
                "kind": "message",
                "body": f"backlog {start + i}",
                "summary": "bench",
                "created_at": now,
            }
            for i in range(size)
        ]
        async with unit_of_work(database, write=True) as session:
            await session.execute(insert(Message), rows)
            ids = (
                await session.scalars(select(Message.id).order_by(Message.id.desc()).limit(size))
            ).all()
            deliveries = [{"message_id": i, "recipient": to, "project_id": project_id} for i in ids]
            await session.execute(insert(Delivery), deliveries)
