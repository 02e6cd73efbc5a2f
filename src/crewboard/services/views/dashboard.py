"""Read models of the web dashboard: the activity feed, the roster at work, the dependency
graph and message threads. Every read goes through ``ProjectService.access``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from crewboard.models import Event
from crewboard.models.changelog import ChangelogEntry
from crewboard.models.messages import Message
from crewboard.models.projects import Agent
from crewboard.models.tasks import Task, TaskDependency
from crewboard.services.core import Actor, NotFound, check_limit
from crewboard.services.messages import MessageService, MessageView
from crewboard.services.projects import ProjectService, require_team
from crewboard.services.tasks import RESOLVED, Status

GRAPH_MAX_TASKS = 300
THREAD_MAX = 50
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class AgentAtWork:
    """A roster agent, what it holds in progress, and when it last did anything."""

    agent: Agent
    working_on: list[Task]
    blocked: list[Task]
    last_activity: datetime | None


@dataclass(frozen=True, slots=True)
class Graph:
    """Tasks and their "blocked by" edges as (blocker number, waiting number)."""

    tasks: list[Task]
    edges: list[tuple[int, int]]
    truncated: bool


class DashboardService:
    """What the dashboard shows beyond the per-domain services' own reads."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.projects = ProjectService(session)

    async def activity(
        self, actor: Actor, slug: str, *, before: int | None = None, limit: int = 50
    ) -> list[Event]:
        """The project's events, newest first (message bodies are never in events)."""
        access = await self.projects.access(actor, slug)
        query = (
            select(Event)
            .where(Event.project_id == access.project.id)
            .order_by(Event.id.desc())
            .limit(check_limit(limit))
        )
        if before is not None:
            query = query.where(Event.id < before)
        return list((await self.session.scalars(query)).all())

    async def roster_at_work(self, actor: Actor, slug: str) -> list[AgentAtWork]:
        """Each agent with its in-progress and blocked tasks and its last activity: the newest
        of its task changes, messages sent and changelog entries."""
        access = await self.projects.access(actor, slug)
        pid = access.project.id
        agents = list(
            (
                await self.session.scalars(
                    select(Agent).where(Agent.project_id == pid).order_by(Agent.id).limit(500)
                )
            ).all()
        )
        held = (
            await self.session.scalars(
                select(Task)
                .where(
                    Task.project_id == pid,
                    Task.owner.is_not(None),
                    Task.status.in_([Status.IN_PROGRESS.value, Status.BLOCKED.value]),
                )
                .order_by(Task.priority, Task.number)
            )
        ).all()
        latest: dict[str, datetime] = {}
        for query in (
            select(Task.owner, func.max(Task.updated_at))
            .where(Task.project_id == pid, Task.owner.is_not(None))
            .group_by(Task.owner),
            select(Message.sender, func.max(Message.created_at))
            .where(Message.project_id == pid)
            .group_by(Message.sender),
            select(ChangelogEntry.agent, func.max(ChangelogEntry.created_at))
            .where(ChangelogEntry.project_id == pid)
            .group_by(ChangelogEntry.agent),
        ):
            for name, at in (await self.session.execute(query)).all():
                if (
                    name is not None
                    and at is not None
                    and (name not in latest or at > latest[name])
                ):
                    latest[name] = at
        return [
            AgentAtWork(
                agent=a,
                working_on=[
                    t for t in held if t.owner == a.name and t.status == Status.IN_PROGRESS
                ],
                blocked=[t for t in held if t.owner == a.name and t.status == Status.BLOCKED],
                last_activity=latest.get(a.name),
            )
            for a in agents
        ]

    async def graph(
        self, actor: Actor, slug: str, *, team: str | None = None, tracker: str | None = None
    ) -> Graph:
        """The tasks of a team, a tracker or the whole project, with the edges among them."""
        access = await self.projects.access(actor, slug)
        query = select(Task).where(Task.project_id == access.project.id)
        if team is not None:
            found = await require_team(self.session, access.project, team)
            query = query.where(Task.team_id == found.id)
        if tracker is not None:
            query = query.where(Task.tracker == tracker)
        rows = list(
            (await self.session.scalars(query.order_by(Task.id).limit(GRAPH_MAX_TASKS + 1))).all()
        )
        tasks = rows[:GRAPH_MAX_TASKS]
        by_id = {t.id: t for t in tasks}
        edges: list[tuple[int, int]] = []
        if by_id:
            links = await self.session.execute(
                select(TaskDependency.blocked_by_id, TaskDependency.task_id).where(
                    TaskDependency.task_id.in_(list(by_id))
                )
            )
            edges = [
                (by_id[blocker].number, by_id[waiting].number)
                for blocker, waiting in links.all()
                if blocker in by_id
            ]
        return Graph(tasks, sorted(edges), truncated=len(rows) > GRAPH_MAX_TASKS)

    async def waiting_on(
        self, actor: Actor, slug: str, numbers: Sequence[int]
    ) -> dict[int, list[tuple[int, str]]]:
        """For each of these tasks, the open tasks it waits on (number, title), in one query."""
        access = await self.projects.access(actor, slug)
        if not numbers:
            return {}
        waiting, blocker = aliased(Task), aliased(Task)
        rows = await self.session.execute(
            select(waiting.number, blocker.number, blocker.title)
            .join(TaskDependency, TaskDependency.task_id == waiting.id)
            .join(blocker, blocker.id == TaskDependency.blocked_by_id)
            .where(
                waiting.project_id == access.project.id,
                waiting.number.in_(list(numbers)),
                blocker.status.not_in(RESOLVED),
            )
            .order_by(waiting.number, blocker.number)
        )
        found: dict[int, list[tuple[int, str]]] = {}
        for number, blocker_number, title in rows.all():
            found.setdefault(number, []).append((blocker_number, title))
        return found

    async def thread(self, actor: Actor, slug: str, message_id: int) -> list[MessageView]:
        """A message with the messages it answers (oldest first) and the replies to it that
        the actor may read. Each message passes ``MessageService.get``'s visibility rule."""
        messages = MessageService(self.session)
        chain = [await messages.get(actor, slug, message_id)]
        while chain[0].message.reply_to is not None and len(chain) < THREAD_MAX:
            parent_id = chain[0].message.reply_to
            try:
                chain.insert(0, await messages.get(actor, slug, parent_id))
            except NotFound:
                break  # the thread goes on above, in messages this actor may not read
        project_id = chain[-1].message.project_id
        reply_ids = (
            await self.session.scalars(
                select(Message.id)
                .where(Message.project_id == project_id, Message.reply_to == message_id)
                .order_by(Message.id)
                .limit(THREAD_MAX)
            )
        ).all()
        for reply_id in reply_ids:
            try:
                chain.append(await messages.get(actor, slug, reply_id))
            except NotFound:
                continue  # a reply between other parties: not this actor's to read
        return chain
