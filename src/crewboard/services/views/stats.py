"""Aggregates the dashboard draws: completions per agent per day, cycle times, and who is
blocked waiting on whom. Portable SQL (no dialect date functions); days are UTC days."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.models import Event, utcnow
from crewboard.models.tasks import Task
from crewboard.services.core import Actor
from crewboard.services.projects import ProjectService
from crewboard.services.tasks import Status

MAX_DAYS = 90
# How many completed tasks the cycle-time figures look at (the newest ones).
CYCLE_SAMPLE = 500
CYCLE_BUCKETS: tuple[tuple[str, timedelta], ...] = (
    ("< 1 h", timedelta(hours=1)),
    ("1-4 h", timedelta(hours=4)),
    ("4-24 h", timedelta(days=1)),
    ("1-3 d", timedelta(days=3)),
    ("> 3 d", timedelta.max),
)
NOBODY = "(unowned)"
ANYONE = "(anyone)"


@dataclass(frozen=True, slots=True)
class Throughput:
    """Tasks completed per agent on each of the last ``days`` days (oldest day first)."""

    days: list[date]
    per_agent: dict[str, list[int]]


@dataclass(frozen=True, slots=True)
class CycleTimes:
    """Claim-to-completion times: per agent (median, count) and a histogram."""

    per_agent: dict[str, tuple[timedelta, int]]
    buckets: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class BlockedMatrix:
    """Blocked tasks now, counted by the agent holding them and the agent they need."""

    holders: list[str]
    needed: list[str]
    counts: dict[tuple[str, str], int]


class StatsService:
    """Read-only aggregates of one project."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.projects = ProjectService(session)

    async def throughput(
        self, actor: Actor, slug: str, *, days: int = 14, now: datetime | None = None
    ) -> Throughput:
        """Completed tasks per owner per UTC day over the last ``days`` days (today included)."""
        access = await self.projects.access(actor, slug)
        days = max(1, min(days, MAX_DAYS))
        today = (now or utcnow()).date()
        first = today - timedelta(days=days - 1)
        since = datetime(first.year, first.month, first.day, tzinfo=(now or utcnow()).tzinfo)
        rows = await self.session.execute(
            select(Task.owner, Task.completed_at).where(
                Task.project_id == access.project.id,
                Task.status == Status.COMPLETED.value,
                Task.completed_at >= since,
            )
        )
        span = [first + timedelta(days=i) for i in range(days)]
        per_agent: dict[str, list[int]] = defaultdict(lambda: [0] * days)
        for owner, at in rows.all():
            if at is None:
                continue  # the query asks for completed_at >= since; never None here
            index = (at.date() - first).days
            if 0 <= index < days:
                per_agent[owner or NOBODY][index] += 1
        return Throughput(span, dict(sorted(per_agent.items())))

    async def cycle_times(self, actor: Actor, slug: str) -> CycleTimes:
        """From the first move to in progress (a claim or a start) to completion, for the
        newest completed tasks; a task completed without being started has no cycle."""
        access = await self.projects.access(actor, slug)
        done = (
            await self.session.execute(
                select(Task.number, Task.owner, Task.completed_at)
                .where(
                    Task.project_id == access.project.id,
                    Task.status == Status.COMPLETED.value,
                    Task.completed_at.is_not(None),
                )
                .order_by(Task.completed_at.desc())
                .limit(CYCLE_SAMPLE)
            )
        ).all()
        if not done:
            return CycleTimes({}, [(label, 0) for label, _ in CYCLE_BUCKETS])
        subjects = {f"task:{number}": (owner, at) for number, owner, at in done}
        events = await self.session.execute(
            select(Event.subject, Event.kind, Event.at, Event.data)
            .where(
                Event.project_id == access.project.id,
                Event.subject.in_(list(subjects)),
                Event.kind.in_(["task.claimed", "task.updated"]),
            )
            .order_by(Event.id)
        )
        started: dict[str, datetime] = {}
        for subject, kind, at, data in events.all():
            if subject not in started and _starts_work(kind, data):
                started[subject] = at
        durations: dict[str, list[timedelta]] = defaultdict(list)
        for subject, (owner, completed_at) in subjects.items():
            begin = started.get(subject)
            if begin is not None and completed_at is not None and completed_at >= begin:
                durations[owner or NOBODY].append(completed_at - begin)
        buckets = dict.fromkeys((label for label, _ in CYCLE_BUCKETS), 0)
        for spans in durations.values():
            for span in spans:
                label = next(label for label, limit in CYCLE_BUCKETS if span < limit)
                buckets[label] += 1
        per_agent = {
            name: (statistics.median_low(spans), len(spans))
            for name, spans in sorted(durations.items())
        }
        return CycleTimes(per_agent, list(buckets.items()))

    async def blocked_matrix(self, actor: Actor, slug: str) -> BlockedMatrix:
        """Blocked tasks by holder (owner, else tracker) and the agent they say they need."""
        access = await self.projects.access(actor, slug)
        rows = await self.session.execute(
            select(func.coalesce(Task.owner, Task.tracker), Task.needs_agent, func.count())
            .where(Task.project_id == access.project.id, Task.status == Status.BLOCKED.value)
            .group_by(func.coalesce(Task.owner, Task.tracker), Task.needs_agent)
        )
        counts: dict[tuple[str, str], int] = {}
        for holder, needed, count in rows.all():
            key = (holder or NOBODY, needed or ANYONE)
            counts[key] = counts.get(key, 0) + int(count)
        return BlockedMatrix(sorted({h for h, _ in counts}), sorted({n for _, n in counts}), counts)


def _starts_work(kind: str, data: dict[str, object]) -> bool:
    """True for an event that moved a task to in progress."""
    if kind == "task.claimed":
        return True
    changes = data.get("changes")
    if not isinstance(changes, dict):
        return False
    status = changes.get("status")
    return isinstance(status, list) and len(status) == 2 and status[1] == Status.IN_PROGRESS
