"""Changing tasks: one ``apply`` holds every transition rule; the protocol's verbs
(``protocol.py``) are shorthands for it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from crewboard.models import utcnow
from crewboard.models.tasks import Task
from crewboard.services.core import Actor, Conflict, Forbidden, Invalid, check_text
from crewboard.services.messages import Kind, address_of, notify
from crewboard.services.projects import ProjectAccess, Role, team_names
from crewboard.services.tasks.claims import check_claimable
from crewboard.services.tasks.edges import Edges
from crewboard.services.tasks.rules import (
    ACTIVE_FORM_MAX,
    DESCRIPTION_MAX,
    OUTCOME_MAX,
    REASON_MAX,
    VERIFIED_MAX,
    Status,
    check_files,
    check_one_line,
    check_priority,
    check_title,
    check_transition,
    merge_metadata,
)
from crewboard.services.tasks.store import TaskStore, TaskView


@dataclass
class TaskChange:
    """What a caller wants changed; None leaves a field alone."""

    title: str | None = None
    description: str | None = None
    active_form: str | None = None
    priority: int | None = None
    tracker: str | None = None
    owner: str | None = None
    clear_owner: bool = False
    status: Status | None = None
    blocked_reason: str | None = None
    needs_agent: str | None = None
    outcome: str | None = None
    files: list[str] | None = None
    verified: str | None = None
    metadata: dict[str, Any] | None = None
    add_blocked_by: list[int] = field(default_factory=list)
    add_blocks: list[int] = field(default_factory=list)
    team: str | None = None
    clear_team: bool = False
    reason: str | None = None  # why, for the history (e.g. the team was deleted)


@dataclass(frozen=True, slots=True)
class Applied:
    """The task after a change, the fields that changed, and the status move if any."""

    task: Task
    updated_fields: list[str]
    status_change: tuple[str, str] | None


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """``Applied``, answered with the task's view (what the faces show)."""

    view: TaskView
    updated_fields: list[str]
    status_change: tuple[str, str] | None

    @property
    def task(self) -> Task:
        """The changed task."""
        return self.view.task


class TaskFlow:
    """Updates and status transitions."""

    def __init__(self, store: TaskStore) -> None:
        self.store = store
        self.session = store.session

    async def prepare(
        self, actor: Actor, slug: str, number: int, as_agent: str | None, version: int | None
    ) -> tuple[ProjectAccess, str | None, Task]:
        """What every change starts with: the right to write, who acts, the task at the
        version the caller saw."""
        access = await self.store.projects.access(actor, slug, need=Role.AGENT, write=True)
        me = await self.store.acting_agent(access, as_agent)
        task = await self.store.load(access, number)
        self.store.check_version(task, version)
        return access, me, task

    async def update(
        self,
        actor: Actor,
        slug: str,
        number: int,
        change: TaskChange,
        *,
        version: int | None = None,
        as_agent: str | None = None,
    ) -> Applied:
        """Apply a change as one versioned write (stale ``version`` → 409, nothing changed)."""
        access, me, task = await self.prepare(actor, slug, number, as_agent, version)
        return await self.apply(actor, access, me, task, change)

    async def apply(
        self, actor: Actor, access: ProjectAccess, me: str | None, task: Task, change: TaskChange
    ) -> Applied:
        """Every rule of a task change, in one place."""
        before = _snapshot(task)
        claiming = await self._owner_rules(access, me, task, change)
        if not claiming:
            await self.store.require_modify(access, task)
        if change.clear_owner and change.status is None and task.status == Status.IN_PROGRESS:
            change = replace(change, status=Status.PENDING)  # released: back in the queue
        # Nothing reaches the database before save(): the write is one compare-and-set, whose
        # loss is a 409 (an autoflush from a query below would lose it as a bare error).
        with self.session.no_autoflush:
            self._fields(task, change)
            if change.tracker is not None:
                task.tracker = await self.store.require_roster(access, change.tracker, "tracker")
            if change.owner is not None:
                task.owner = await self.store.require_roster(access, change.owner, "owner")
            elif change.clear_owner:
                task.owner = None
            if change.needs_agent is not None:
                await self.store.require_roster(access, change.needs_agent, "needs_agent")
            if change.team is not None:
                task.team_id = await self.store.require_team(access, change.team, lock=True)
            elif change.clear_team:
                task.team_id = None
            status_change = await self._status(access, me, task, change)
        # Any write by the owner on its running task renews the lease.
        if task.status == Status.IN_PROGRESS and me is not None and task.owner == me:
            task.lease_expires_at = self.store.lease_until(utcnow())
        after = _snapshot(task)
        changed = [k for k in after if after[k] != before[k] and k != "lease_expires_at"]
        changed += ["blockedBy"] if change.add_blocked_by else []
        changed += ["blocks"] if change.add_blocks else []
        number = task.number
        if changed or after != before:
            try:
                await self.store.save(task)
            except Conflict:
                if claiming:
                    # Someone else's write won the compare-and-set: say what happened.
                    raise Conflict(
                        f"task #{number} was claimed by someone else first",
                        code="already-claimed",
                    ) from None
                raise
        if change.add_blocked_by or change.add_blocks:
            edges = Edges(self.store)
            await edges.wait_on(actor, access, task, change.add_blocked_by)
            await edges.block(actor, access, task, change.add_blocks)
        if changed:
            changes = {k: [before[k], after[k]] for k in changed if k in after}
            if "team" in changes:
                names = await team_names(self.session, (i for i in changes["team"] if i))
                changes["team"] = [names.get(i) if i else None for i in changes["team"]]
            self.store.record(
                actor,
                access,
                task,
                "task.updated",
                {
                    "changes": changes,
                    "added_blocked_by": change.add_blocked_by,
                    "added_blocks": change.add_blocks,
                    "as": me,
                    **({"reason": change.reason} if change.reason else {}),
                },
            )
        elif after != before:
            self.store.record(
                actor,
                access,
                task,
                "task.lease_renewed",
                {"lease_expires_at": after["lease_expires_at"]},
            )
        if "owner" in changed and after["owner"] is not None and after["owner"] != me:
            await self._tell_owner(actor, access, me, task, after["owner"])
        return Applied(task, changed, status_change)

    async def _tell_owner(
        self, actor: Actor, access: ProjectAccess, me: str | None, task: Task, owner: str
    ) -> None:
        """A ``task_assignment`` message to a task's new owner, when someone else gave it
        (an agent claiming a task for itself hears nothing)."""
        sender = await address_of(self.session, actor, me or access.agent_name)
        await notify(
            self.session,
            actor,
            project_id=access.project.id,
            sender=sender,
            recipients=[owner],
            kind=Kind.TASK_ASSIGNMENT,
            task=task.number,
            summary=f"Task #{task.number} assigned to you",
            team_id=task.team_id,
            body=f"Task #{task.number} is now yours ({task.status}): {task.title}",
        )

    async def _owner_rules(
        self, access: ProjectAccess, me: str | None, task: Task, change: TaskChange
    ) -> bool:
        """Check an owner change; True when it is the actor claiming an unowned task (under
        the one claim rule, blockers included)."""
        wants = change.owner
        if wants is None and not change.clear_owner:
            return False
        if wants == task.owner:
            return False  # no change of owner (releasing an unowned task included)
        if wants is not None and wants == me and task.owner is None:
            check_claimable(task, me, await self.store.open_blockers(task))
            return True
        # Reassigning or releasing: a member, or the current owner handing its task on.
        if access.role.rank >= Role.MEMBER.rank or (me is not None and task.owner == me):
            return False
        if await self.store.manages(access, task):
            return False  # its creator, or its team's lead, assigns it
        if wants is not None and wants == me:
            raise Conflict(
                f"task #{task.number} is already claimed by {task.owner}",
                code="already-claimed",
                owner=task.owner,
            )
        # Releasing or reassigning another agent's task is not the actor's to do.
        await self.store.require_modify(access, task)
        raise Forbidden("only a member can assign a task to another agent")

    def _fields(self, task: Task, change: TaskChange) -> None:
        if change.title is not None:
            task.title = check_title(change.title)
        if change.description is not None:
            task.description = check_text(
                change.description, "description", DESCRIPTION_MAX, required=False
            )
        if change.active_form is not None:
            task.active_form = check_text(
                change.active_form, "active_form", ACTIVE_FORM_MAX, required=False
            )
        if change.priority is not None:
            task.priority = check_priority(change.priority)
        if change.metadata is not None:
            task.meta = merge_metadata(task.meta, change.metadata)
        if change.files is not None:
            task.files = check_files(change.files)
        if change.verified is not None:
            task.verified = check_one_line(change.verified, "verified", VERIFIED_MAX)

    async def _status(
        self, access: ProjectAccess, me: str | None, task: Task, change: TaskChange
    ) -> tuple[str, str] | None:
        target = change.status
        current = Status(task.status)
        if target is None or target == current:
            if change.blocked_reason or change.outcome or change.needs_agent is not None:
                # A reason, needed agent or outcome (with the same status or none) updates the
                # record of the current status.
                self._status_fields(task, current, change)
            return None
        check_transition(current, target)
        self._status_fields(task, target, change)
        now = utcnow()
        if target == Status.IN_PROGRESS:
            if task.owner is None:
                if me is None:
                    raise Conflict(
                        "an in-progress task needs an owner; name one",
                        code="owner-required",
                        field="owner",
                    )
                # Taking an unowned task is a claim, under the one claim rule (pending, ready).
                check_claimable(task, me, await self.store.open_blockers(task))
                task.owner = me
            open_blockers = await self.store.open_blockers(task)
            if open_blockers:
                numbers = ", ".join(f"#{n}" for n in open_blockers)
                raise Conflict(
                    f"task #{task.number} waits on {numbers}",
                    code="blocked",
                    blocked_by=open_blockers,
                )
            task.lease_expires_at = self.store.lease_until(now)
        else:
            task.lease_expires_at = None
        if current == Status.BLOCKED:
            task.blocked_reason, task.needs_agent = None, None
        if current == Status.COMPLETED:
            task.completed_at, task.outcome, task.verified = None, None, None
        if target == Status.PENDING and change.owner is None:
            task.owner = None  # back in the queue: released
        if target == Status.COMPLETED:
            task.completed_at = now
            if task.owner is None and me is not None:
                task.owner = me  # whoever finishes an unowned task on its tracker did it
        task.status = target.value
        return (current.value, target.value)

    def _status_fields(self, task: Task, target: Status, change: TaskChange) -> None:
        if target != Status.BLOCKED and (change.blocked_reason or change.needs_agent is not None):
            field = "blocked_reason" if change.blocked_reason else "needs_agent"
            raise Invalid(f"{field} goes with the blocked status", field=field)
        if target != Status.COMPLETED and change.outcome:
            raise Invalid("an outcome goes with the completed status", field="outcome")
        if target == Status.BLOCKED:
            reason = change.blocked_reason or (
                task.blocked_reason if task.status == "blocked" else None
            )
            task.blocked_reason = check_one_line(
                self.store.require_text(reason, "blocked_reason"), "blocked_reason", REASON_MAX
            )
            if change.needs_agent is not None:
                task.needs_agent = change.needs_agent
        elif target == Status.COMPLETED:
            # Claude Code completes a task without an outcome: recorded as not given (a blank
            # one given is refused, as any blank text).
            outcome = change.outcome
            if outcome is None and task.status == "completed":
                outcome = task.outcome
            if outcome is not None:
                outcome = check_one_line(
                    self.store.require_text(outcome, "outcome"), "outcome", OUTCOME_MAX
                )
            task.outcome = outcome


def _snapshot(task: Task) -> dict[str, Any]:
    return {
        "title": task.title,
        "description": task.description,
        "activeForm": task.active_form,
        "priority": task.priority,
        "tracker": task.tracker,
        "team": task.team_id,  # an id here; the event shows names
        "owner": task.owner,
        "status": task.status,
        "blocked_reason": task.blocked_reason,
        "needs_agent": task.needs_agent,
        "outcome": task.outcome,
        "files": list(task.files),
        "verified": task.verified,
        "metadata": dict(task.meta),
        "lease_expires_at": task.lease_expires_at.isoformat() if task.lease_expires_at else None,
    }
