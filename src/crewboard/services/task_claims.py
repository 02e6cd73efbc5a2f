"""Atomic claims: one compare-and-set UPDATE in SQL, never read-then-write in Python."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.sql import ColumnElement

from crewboard.models import utcnow
from crewboard.models.tasks import Task
from crewboard.services.actor import Actor
from crewboard.services.errors import Conflict, Invalid, NotFound
from crewboard.services.projects import ProjectAccess, Role
from crewboard.services.task_rules import Status
from crewboard.services.tasks import TaskService, ready_clause

_CLAIM_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class ClaimScope:
    """Where "the best ready task" is looked for.

    By default: the claimer's own tracker and the shared (trackerless) tasks. ``tracker``
    names one tracker, ``shared_only`` keeps to shared tasks, ``anywhere`` takes any.
    """

    tracker: str | None = None
    shared_only: bool = False
    anywhere: bool = False


class TaskClaims(TaskService):
    """Claim a given task, or the best ready one; renew a lease."""

    async def _claimer(
        self, actor: Actor, slug: str, as_agent: str | None
    ) -> tuple[ProjectAccess, str]:
        access = await self.projects.access(actor, slug, need=Role.AGENT, write=True)
        me = await self.acting_agent(access, as_agent)
        if me is None:
            raise Invalid("claiming needs an agent: use an agent token or name one (as_agent)",
                          field="as_agent")  # fmt: skip
        return access, me

    async def claim(
        self, actor: Actor, slug: str, number: int, *, as_agent: str | None = None
    ) -> Task:
        """Take a ready task: it becomes in progress, owned by the claimer, with a lease."""
        access, me = await self._claimer(actor, slug, as_agent)
        where = (Task.project_id == access.project.id) & (Task.number == number) & ready_clause()
        claimed = await self._take(where, me)
        task = claimed or await self.load(access, number)
        if claimed is None:
            await self._explain_refusal(access, task, me)
        until = task.lease_expires_at.isoformat() if task.lease_expires_at else None
        self.record(actor, access, task, "task.claimed", {"owner": me, "lease_expires_at": until})
        return task

    async def _explain_refusal(self, access: ProjectAccess, task: Task, me: str) -> None:
        if task.owner == me and task.status == Status.IN_PROGRESS:
            raise Conflict(f"you already hold task #{task.number}", code="already-yours")
        if task.owner is not None:
            raise Conflict(f"task #{task.number} is already claimed by {task.owner}",
                           code="already-claimed", owner=task.owner)  # fmt: skip
        if task.status != Status.PENDING:
            raise Conflict(f"task #{task.number} is {task.status}, not pending",
                           code="not-claimable", task_status=task.status)  # fmt: skip
        waits = (await self.links([task]))[task.id].open_blockers
        raise Conflict(f"task #{task.number} waits on " + ", ".join(f"#{n}" for n in waits),
                       code="blocked", blocked_by=waits)  # fmt: skip

    async def claim_next(
        self, actor: Actor, slug: str, scope: ClaimScope, *, as_agent: str | None = None
    ) -> Task:
        """Claim the most urgent, oldest ready task in scope (priority, then age)."""
        access, me = await self._claimer(actor, slug, as_agent)
        base = (
            select(Task.id)
            .where(Task.project_id == access.project.id, ready_clause())
            .order_by(Task.priority, Task.id)
            .limit(1)
        )
        if scope.tracker is not None:
            await self.require_roster(access, scope.tracker, "tracker")
            base = base.where(Task.tracker == scope.tracker)
        elif scope.shared_only:
            base = base.where(Task.tracker.is_(None))
        elif not scope.anywhere:
            base = base.where((Task.tracker == me) | Task.tracker.is_(None))
        candidate = base
        if self.session.get_bind().dialect.name != "sqlite":
            # PostgreSQL: concurrent claimers skip rows another is taking instead of queueing.
            # (SQLite write transactions are serialised, so there is nothing to skip.)
            candidate = base.with_for_update(skip_locked=True, of=Task)
        for _ in range(_CLAIM_ATTEMPTS):
            where = (
                (Task.id == candidate.scalar_subquery())
                & (Task.status == Status.PENDING.value)
                & Task.owner.is_(None)
            )
            task = await self._take(where, me)
            if task is not None:
                self.record(actor, access, task, "task.claimed", {"owner": me, "next": True})
                return task
            if await self.session.scalar(base) is None:
                break
        raise NotFound("no ready task to claim", code="nothing-ready")

    async def _take(self, where: ColumnElement[bool], me: str) -> Task | None:
        """The compare-and-set itself: one UPDATE ... RETURNING; None if the row did not match."""
        now = utcnow()
        statement = (
            update(Task)
            .where(where)
            .values(owner=me, status=Status.IN_PROGRESS.value,
                    lease_expires_at=self.lease_until(now), version=Task.version + 1,
                    updated_at=now)
            .returning(Task)
            .execution_options(synchronize_session=False, populate_existing=True)
        )  # fmt: skip
        return (await self.session.scalars(statement)).first()

    async def renew(self, actor: Actor, slug: str, number: int) -> Task:
        """Extend the lease of a task one holds (a heartbeat while working)."""
        access, me = await self._claimer(actor, slug, None)
        task = await self.load(access, number)
        if task.owner != me or task.status != Status.IN_PROGRESS:
            raise Conflict(f"you do not hold task #{number}", code="not-yours")
        task.lease_expires_at = self.lease_until(utcnow())
        await self.save(task)
        # A change like any other: it moves the version, and polled lists must see it.
        self.record(actor, access, task, "task.lease_renewed",
                    {"lease_expires_at": task.lease_expires_at.isoformat()})  # fmt: skip
        return task
