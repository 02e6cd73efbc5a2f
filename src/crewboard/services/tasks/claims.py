"""Atomic claims: one compare-and-set UPDATE in SQL, never read-then-write in Python; and the
one claim rule (``check_claimable``), which the REST and MCP updates naming oneself owner
share with the claim verbs."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, exists, select, true, union_all, update
from sqlalchemy.sql import ColumnElement

from crewboard.database.statements import Statement, adopt, fetch_one
from crewboard.models import utcnow
from crewboard.models.tasks import Task, TaskDependency
from crewboard.services.core import Actor, Conflict, Invalid, NotFound
from crewboard.services.projects import ProjectAccess, Role
from crewboard.services.tasks.rules import Status
from crewboard.services.tasks.store import TaskStore, TaskView, ready_clause

_CLAIM_ATTEMPTS = 8
# How many candidates each half of the default scope reads on PostgreSQL before locking one.
_SEEK_DEPTH = 16


class _Where(enum.Enum):
    """The scopes of claim-next, each with its own prebuilt statement."""

    MINE = "mine"
    TRACKER = "tracker"
    SHARED = "shared"
    ANYWHERE = "anywhere"
    TEAM = "team"


def _claim_update(where: ColumnElement[bool]) -> Statement:
    """UPDATE ... SET owner, in progress, lease WHERE <where> RETURNING the task, and whether
    it has any dependency edge (so the answer looks its links up only when there are some).

    Run on the driver (database/statements.py): the claim is the hottest write there is, and
    through the session the statement's machinery cost many times the statement.
    """
    tasks = cast(Table, Task.__table__)
    links = cast(Table, TaskDependency.__table__)
    has_links = (
        exists()
        .where((links.c.task_id == tasks.c.id) | (links.c.blocked_by_id == tasks.c.id))
        .label("has_links")
    )
    statement = (
        update(tasks)
        .where(where)
        .values(
            owner=bindparam("p_me"),
            status=Status.IN_PROGRESS.value,
            lease_expires_at=bindparam("p_lease"),
            version=tasks.c.version + 1,
            updated_at=bindparam("p_now"),
        )
        .returning(*tasks.c, has_links)
    )
    return Statement(statement)


# Claim one given task: the same compare-and-set, by number.
_CLAIM_ONE = _claim_update(
    (Task.project_id == bindparam("p_project"))
    & (Task.number == bindparam("p_number"))
    & ready_clause()
)


def _best(where: ColumnElement[bool], *, lock: bool) -> Select[int, int]:
    """The best ready task (its id, or id and priority) among those ``where`` picks."""
    query = (
        select(Task.id, Task.priority)
        .where(Task.project_id == bindparam("p_project"), ready_clause(), where)
        .order_by(Task.priority, Task.id)
        .limit(1)
    )
    return query.with_for_update(skip_locked=True, of=Task) if lock else query


@cache
def _candidate(where: _Where, *, lock: bool) -> Select[int]:
    """The id of the best ready task in a scope (priority, then age); parameters are bound per
    call. The default scope (one's tracker or shared) is the better of two index seeks: as
    one ``tracker = me OR tracker IS NULL`` query it walked the whole project queue past every
    task waiting on another tracker (0.7 ms at 20k tasks instead of 8 µs, docs/performance.md).
    """
    if where is _Where.MINE:
        # On PostgreSQL only the winner may be locked: a second candidate locked and not
        # taken would be skipped by every other claimer until this one commits, and one that
        # had nothing else would answer nothing-ready. So the seeks read unlocked, a few rows
        # deep (rows other claimers hold are skipped by the lock on top), and only the
        # row returned is locked.
        depth = _SEEK_DEPTH if lock else 1
        mine = _best(Task.tracker == bindparam("p_me"), lock=False).limit(depth).subquery("mine")
        shared = _best(Task.tracker.is_(None), lock=False).limit(depth).subquery("shared")
        both = union_all(
            select(mine.c.id, mine.c.priority), select(shared.c.id, shared.c.priority)
        ).subquery("best")
        if not lock:
            return select(both.c.id).order_by(both.c.priority, both.c.id).limit(1)
        return (
            select(Task.id)
            .where(Task.id.in_(select(both.c.id)), ready_clause())
            .order_by(Task.priority, Task.id)
            .limit(1)
            .with_for_update(skip_locked=True, of=Task)
        )
    if where is _Where.TEAM:
        scope = Task.team_id == bindparam("p_team")
    elif where is _Where.TRACKER:
        scope = Task.tracker == bindparam("p_tracker")
    elif where is _Where.SHARED:
        scope = Task.tracker.is_(None)
    else:
        scope = true()
    return _best(scope, lock=lock).with_only_columns(Task.id)


@cache
def _next_statements(where: _Where, skip_locked: bool) -> Statement:
    """Claim-next's compare-and-set, built once per scope: a claim is the hottest write, and
    building the statement cost more than running it."""
    candidate = _candidate(where, lock=skip_locked).scalar_subquery()
    return _claim_update(
        (Task.id == candidate) & (Task.status == Status.PENDING.value) & Task.owner.is_(None)
    )


@dataclass(frozen=True, slots=True)
class ClaimScope:
    """Where "the best ready task" is looked for.

    By default: the claimer's own tracker and the shared (trackerless) tasks. ``tracker``
    names one tracker, ``shared_only`` keeps to shared tasks, ``anywhere`` takes any.
    ``team`` takes any task of that team's list, whatever its tracker (it goes alone).
    """

    tracker: str | None = None
    shared_only: bool = False
    anywhere: bool = False
    team: str | None = None

    def __post_init__(self) -> None:
        if self.team is not None and (
            self.tracker is not None or self.shared_only or self.anywhere
        ):
            raise Invalid(
                "team goes alone: no tracker, shared_only or anywhere with it", field="team"
            )


def check_claimable(task: Task, me: str, open_blockers: Sequence[int]) -> None:
    """The claim rule: ``me`` may take a task that is unowned, pending, and waits on no
    unfinished task (``ready_clause`` is the same rule in SQL). Refusals say which part
    failed: ``already-yours``, ``already-claimed``, ``not-claimable`` or ``blocked``."""
    if task.owner == me and task.status == Status.IN_PROGRESS:
        raise Conflict(f"you already hold task #{task.number}", code="already-yours")
    if task.owner is not None:
        raise Conflict(
            f"task #{task.number} is already claimed by {task.owner}",
            code="already-claimed",
            owner=task.owner,
        )
    if task.status != Status.PENDING:
        raise Conflict(
            f"task #{task.number} is {task.status}, not pending",
            code="not-claimable",
            task_status=task.status,
        )
    if open_blockers:
        raise Conflict(
            f"task #{task.number} waits on " + ", ".join(f"#{n}" for n in open_blockers),
            code="blocked",
            blocked_by=list(open_blockers),
        )


class TaskClaims:
    """Claim a given task, or the best ready one; renew a lease."""

    def __init__(self, store: TaskStore) -> None:
        self.store = store

    async def _claimer(
        self, actor: Actor, slug: str, as_agent: str | None
    ) -> tuple[ProjectAccess, str]:
        access = await self.store.projects.access(actor, slug, need=Role.AGENT, write=True)
        me = await self.store.acting_agent(access, as_agent)
        if me is None:
            raise Invalid(
                "claiming needs an agent: use an agent token or name one (as_agent)",
                field="as_agent",
            )
        return access, me

    async def claim(
        self, actor: Actor, slug: str, number: int, *, as_agent: str | None = None
    ) -> Task:
        """Take a ready task: it becomes in progress, owned by the claimer, with a lease."""
        return (await self._claim(actor, slug, number, as_agent))[0]

    async def claim_view(
        self, actor: Actor, slug: str, number: int, *, as_agent: str | None = None
    ) -> TaskView:
        """``claim``, answered with the task's view (its links read only if it has some)."""
        task, has_links = await self._claim(actor, slug, number, as_agent)
        return await self.store.view(task, has_links=has_links)

    async def _claim(
        self, actor: Actor, slug: str, number: int, as_agent: str | None
    ) -> tuple[Task, bool]:
        access, me = await self._claimer(actor, slug, as_agent)
        params = {"p_project": access.project.id, "p_number": number}
        claimed = await self._run_take(_CLAIM_ONE, params, me)
        if claimed is None:
            # The compare-and-set missed: say which part of the rule the task fails.
            task = await self.store.load(access, number)
            check_claimable(task, me, await self.store.open_blockers(task))
            raise Conflict(
                f"task #{number} was claimed by someone else first", code="already-claimed"
            )
        task, has_links = claimed
        until = task.lease_expires_at.isoformat() if task.lease_expires_at else None
        self.store.record(
            actor, access, task, "task.claimed", {"owner": me, "lease_expires_at": until}
        )
        return task, has_links

    async def claim_next(
        self, actor: Actor, slug: str, scope: ClaimScope, *, as_agent: str | None = None
    ) -> TaskView:
        """Claim the most urgent, oldest ready task in scope (priority, then age)."""
        access, me = await self._claimer(actor, slug, as_agent)
        params: dict[str, Any] = {"p_project": access.project.id, "p_me": me}
        if scope.team is not None:
            where = _Where.TEAM
            params["p_team"] = await self.store.require_team(access, scope.team)
        elif scope.tracker is not None:
            await self.store.require_roster(access, scope.tracker, "tracker")
            where, params["p_tracker"] = _Where.TRACKER, scope.tracker
        elif scope.shared_only:
            where = _Where.SHARED
        elif scope.anywhere:
            where = _Where.ANYWHERE
        else:
            where = _Where.MINE
        # PostgreSQL: concurrent claimers skip rows another is taking instead of queueing.
        # (SQLite write transactions are serialised, so there is nothing to skip.)
        skip_locked = self.store.session.get_bind().dialect.name != "sqlite"
        take, probe = _next_statements(where, skip_locked), _candidate(where, lock=False)
        for _ in range(_CLAIM_ATTEMPTS):
            claimed = await self._run_take(take, params, me)
            if claimed is not None:
                task, has_links = claimed
                self.store.record(actor, access, task, "task.claimed", {"owner": me, "next": True})
                return await self.store.view(task, has_links=has_links)
            if await self.store.session.scalar(probe, params) is None:
                break
        raise NotFound("no ready task to claim", code="nothing-ready")

    async def _run_take(
        self, statement: Statement, params: dict[str, Any], me: str
    ) -> tuple[Task, bool] | None:
        """The compare-and-set itself: one UPDATE ... RETURNING; None if the row did not match,
        else the claimed task and whether it has dependency edges."""
        now = utcnow()
        values = {**params, "p_now": now, "p_lease": self.store.lease_until(now), "p_me": me}
        row = await fetch_one(self.store.session, statement, values)
        if row is None:
            return None
        return adopt(self.store.session, Task, row), bool(row.has_links)

    async def renew(self, actor: Actor, slug: str, number: int) -> TaskView:
        """Extend the lease of a task one holds (a heartbeat while working)."""
        access, me = await self._claimer(actor, slug, None)
        task = await self.store.load(access, number)
        if task.owner != me or task.status != Status.IN_PROGRESS:
            raise Conflict(f"you do not hold task #{number}", code="not-yours")
        task.lease_expires_at = self.store.lease_until(utcnow())
        await self.store.save(task)
        # A change like any other: it moves the version, and polled lists must see it.
        self.store.record(
            actor,
            access,
            task,
            "task.lease_renewed",
            {"lease_expires_at": task.lease_expires_at.isoformat()},
        )
        return await self.store.view(task)
