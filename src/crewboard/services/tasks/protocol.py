"""The protocol's verbs (start, block, unblock, complete, release): shorthands for
``TaskFlow.apply`` and ``TaskClaims.claim``; no rule lives here twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crewboard.services.core import Actor, Conflict, Invalid
from crewboard.services.tasks.changelog import ChangelogDraft, ChangelogService, EntryView
from crewboard.services.tasks.claims import TaskClaims
from crewboard.services.tasks.flow import Applied, TaskChange, TaskFlow
from crewboard.services.tasks.rules import Status


@dataclass(frozen=True, slots=True)
class Completed:
    """A completed task and the changelog entry appended with it, if any."""

    applied: Applied
    entry: EntryView | None


class TaskProtocol:
    """The verbs of the agent protocol, over one flow and one set of claims."""

    def __init__(self, flow: TaskFlow, claims: TaskClaims) -> None:
        self.flow = flow
        self.claims = claims

    async def start(
        self,
        actor: Actor,
        slug: str,
        number: int,
        *,
        as_agent: str | None = None,
        version: int | None = None,
    ) -> Applied:
        """Begin work: claim a ready unowned task, or resume one's own pending/blocked task."""
        access, me, task = await self.flow.prepare(actor, slug, number, as_agent, version)
        if task.owner is None and me is None:
            raise Invalid(
                "starting an unowned task needs an agent: use an agent token or "
                "name one (as_agent)",
                field="as_agent",
            )
        if task.owner is None and task.status == Status.PENDING:
            claimed = await self.claims.claim(actor, slug, number, as_agent=as_agent)
            return Applied(claimed, ["owner", "status"], ("pending", "in_progress"))
        change = TaskChange(status=Status.IN_PROGRESS)
        return await self.flow.apply(actor, access, me, task, change)

    async def block(
        self,
        actor: Actor,
        slug: str,
        number: int,
        *,
        reason: str,
        needs_agent: str | None = None,
        as_agent: str | None = None,
        version: int | None = None,
    ) -> Applied:
        """Blocked, with the reason and the agent whose help is needed."""
        change = TaskChange(status=Status.BLOCKED, blocked_reason=reason, needs_agent=needs_agent)
        return await self.flow.update(
            actor, slug, number, change, version=version, as_agent=as_agent
        )

    async def unblock(
        self,
        actor: Actor,
        slug: str,
        number: int,
        *,
        as_agent: str | None = None,
        version: int | None = None,
    ) -> Applied:
        """Back to work if someone holds it, else back to the queue."""
        access, me, task = await self.flow.prepare(actor, slug, number, as_agent, version)
        if task.status != Status.BLOCKED:
            raise Conflict(f"task #{number} is {task.status}, not blocked", code="not-blocked")
        target = Status.IN_PROGRESS if task.owner else Status.PENDING
        change = TaskChange(status=target, owner=task.owner)
        return await self.flow.apply(actor, access, me, task, change)

    async def complete(
        self,
        actor: Actor,
        slug: str,
        number: int,
        *,
        outcome: str,
        files: Sequence[str] = (),
        verified: str | None = None,
        changelog: ChangelogDraft | None = None,
        as_agent: str | None = None,
        version: int | None = None,
    ) -> Completed:
        """Completed with its one-line outcome; optionally appends the changelog entry too."""
        access, me, task = await self.flow.prepare(actor, slug, number, as_agent, version)
        if task.status == Status.COMPLETED:
            # A repeated completion would overwrite the record (files, outcome) it reports on.
            raise Conflict(f"task #{number} is already completed", code="already-completed")
        # Files not named here keep what earlier updates recorded.
        change = TaskChange(
            status=Status.COMPLETED, outcome=outcome, files=list(files) or None, verified=verified
        )
        applied = await self.flow.apply(actor, access, me, task, change)
        entry = None
        if changelog is not None:
            numbers = list(dict.fromkeys([number, *changelog.task_numbers]))
            draft = ChangelogDraft(
                title=changelog.title,
                problem=changelog.problem,
                fix=changelog.fix,
                # One fact, one name: how it was checked is the completion's unless the entry says.
                verification=changelog.verification or (verified or ""),
                files=changelog.files or files,
                task_numbers=numbers,
            )
            store = self.flow.store
            entry = await ChangelogService(store.session, store.settings).append_in(
                actor, access, draft, as_agent=me
            )
        return Completed(applied, entry)

    async def release(
        self,
        actor: Actor,
        slug: str,
        number: int,
        *,
        as_agent: str | None = None,
        version: int | None = None,
    ) -> Applied:
        """Give a task back to the queue (pending, unowned)."""
        change = TaskChange(status=Status.PENDING, clear_owner=True)
        return await self.flow.update(
            actor, slug, number, change, version=version, as_agent=as_agent
        )
