"""Importing a Claude Code agent team into a project (the export is in export.py).

The import is one transaction: the roster agents it needs, the team, its tasks (their
Claude ids kept in ``metadata.claude.id``), their dependencies, owners and statuses, and the
inbox messages with their read flags. Any problem rolls all of it back. Rules and the
mapping: docs/claude-code.md.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import utcnow
from crewboard.models.claude import ClaudeInboxEntry, ClaudeTeamFile
from crewboard.models.messages import Delivery
from crewboard.models.tasks import Task
from crewboard.models.teams import TeamMember
from crewboard.services.core import (
    TEAM_DESCRIPTION_MAX,
    TEAM_MEMBERS_PER_CALL,
    Actor,
    Conflict,
    Invalid,
    check_agent_name,
    check_text,
    record_event,
)
from crewboard.services.interop.claude.files import TeamBundle, team_paths
from crewboard.services.interop.claude.formats import (
    BLOCK_KEYS,
    META_KEY,
    ClaudeFormatError,
    Protocol,
    TaskFile,
    canonical_config,
    canonical_entry,
    from_millis,
    lead_of,
    parse_timestamp,
    protocol_of,
    task_extra,
    task_status,
)
from crewboard.services.messages import BODY_MAX, SUMMARY_MAX, Kind, deliver
from crewboard.services.projects import (
    ProjectAccess,
    ProjectService,
    Role,
    RosterService,
    find_team,
    on_roster,
)
from crewboard.services.tasks import (
    MAX_LINKS_PER_CALL,
    REASON_MAX,
    Edges,
    Status,
    Tasks,
    check_one_line,
)
from crewboard.services.teams import TeamService

logger = logging.getLogger(__name__)

REASON = "imported from Claude Code"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import created: the team, new roster agents, tasks by Claude id, messages."""

    team: str
    members: list[str]
    agents_added: list[str]
    tasks: dict[str, int]
    messages: int


@dataclass(slots=True)
class Incoming:
    """One message, gathered from every inbox it was written to."""

    sender: str
    at: datetime
    entry: dict[str, Any]
    protocol: Protocol
    summary: str | None
    order: tuple[str, int]
    read: dict[str, bool] = field(default_factory=dict)


def gather_messages(bundle: TeamBundle) -> list[Incoming]:
    """The team's messages in time order. The same entry in several inboxes (Claude writes a
    broadcast into each) is one message with several deliveries."""
    groups: dict[tuple[str, int], Incoming] = {}
    for recipient, entries in bundle.inboxes.items():
        seen: Counter[str] = Counter()
        for index, (where, entry) in enumerate(entries):
            at = parse_timestamp(entry.timestamp, where)
            canon = canonical_entry(entry, at)
            key = json.dumps(canon, sort_keys=True)
            seen[key] += 1  # the n-th copy in one inbox pairs with the n-th in another
            found = groups.get((key, seen[key]))
            if found is None:
                found = Incoming(
                    entry.sender,
                    at,
                    canon,
                    protocol_of(entry.text, where),
                    entry.summary,
                    (recipient, index),
                )
                groups[(key, seen[key])] = found
            found.read[recipient] = entry.read
    return sorted(groups.values(), key=lambda m: (m.at, m.order))


def find_cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    """Task ids on a cycle of "waits on" edges, or None (iterative depth-first search)."""
    graph: dict[str, list[str]] = {}
    for waiting, blocker in sorted(edges):
        graph.setdefault(waiting, []).append(blocker)
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(graph):
        if state.get(start):
            continue
        path, stack = [start], [iter(graph.get(start, []))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(graph.get(nxt, [])))
    return None


def _in_file(where: str, exc: Invalid) -> ClaudeFormatError:
    """A service's refusal of a value, as a format error naming the file and the field."""
    return ClaudeFormatError(f"{where}: {exc.details.get('field', 'value')}: {exc.message}")


class ClaudeTeamImport:
    """Import one Claude Code team into a project (members and owners of the project)."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.projects = ProjectService(session)
        self.roster = RosterService(session)
        self.teams = TeamService(session, settings)
        self.tasks = Tasks(session, settings)

    async def run(self, actor: Actor, slug: str, bundle: TeamBundle) -> ImportReport:
        """Create the team and everything in it; refused if the project has a team of that
        name (an import never merges into or overwrites a team)."""
        access = await self.projects.access(actor, slug, need=Role.MEMBER, write=True)
        if await find_team(self.session, access.project, bundle.name) is not None:
            raise Conflict(
                f"team {bundle.name} exists in project {slug}; an import creates a new team "
                "(delete that one, or import into another project)",
                code="duplicate",
            )
        statuses = {t.id: task_status(t, where) for where, t in bundle.tasks}
        messages = gather_messages(bundle)
        added = await self._roster(actor, access, bundle, messages)
        members = await self._team(actor, slug, bundle)
        numbers = await self._tasks(actor, access, bundle, statuses)
        team = await find_team(self.session, access.project, bundle.name)
        assert team is not None  # created above, in this transaction
        for incoming in messages:
            await self._message(actor, access, team.id, incoming)
        record_event(
            self.session,
            actor,
            "team.imported",
            f"team:{bundle.name}",
            {
                "source": "claude-code",
                "agents_added": added,
                "tasks": len(numbers),
                "messages": len(messages),
            },
            project_id=access.project.id,
        )
        return ImportReport(bundle.name, members, added, numbers, len(messages))

    async def _roster(
        self, actor: Actor, access: ProjectAccess, bundle: TeamBundle, messages: list[Incoming]
    ) -> list[str]:
        """Put every agent the files name on the roster (members, owners, senders, inboxes)."""
        kinds = {m.name: m.agentType or "" for m in bundle.config.members}
        names = [
            *kinds,
            *(t.owner for _, t in bundle.tasks if t.owner),
            *(n for _, t in bundle.tasks if isinstance(n := task_extra(t).get("needsAgent"), str)),
            *(m.sender for m in messages),
            *bundle.inboxes,
        ]
        added = []
        for name in dict.fromkeys(names):
            if not await on_roster(self.session, access.project, name):
                await self.roster.add(
                    actor, access.project.slug, name=name, domain=kinds.get(name, "")[:500]
                )
                added.append(name)
        return added

    async def _team(self, actor: Actor, slug: str, bundle: TeamBundle) -> list[str]:
        """The team with its lead and members, at the times the config gives."""
        config, where = bundle.config, team_paths(bundle.name)[0]
        try:
            description = check_text(
                config.description, "description", TEAM_DESCRIPTION_MAX, required=False
            )
        except Invalid as exc:
            raise _in_file(where, exc) from None
        lead = lead_of(config)
        members = [m for m in dict.fromkeys(m.name for m in config.members) if m != lead]
        first = TEAM_MEMBERS_PER_CALL - 1  # the lead takes one place of the first call
        view = await self.teams.create(
            actor,
            slug,
            name=bundle.name,
            description=description,
            lead=lead,
            members=members[:first],
        )
        for start in range(first, len(members), TEAM_MEMBERS_PER_CALL):
            chunk = members[start : start + TEAM_MEMBERS_PER_CALL]
            await self.teams.add_members(actor, slug, bundle.name, chunk)
        team = view.team
        if config.createdAt is not None:
            team.created_at = from_millis(config.createdAt)
        for member in config.members:
            row = await self.session.get(TeamMember, (team.id, member.name))
            if row is not None and member.joinedAt is not None:
                row.joined_at = from_millis(member.joinedAt)
        self.session.add(ClaudeTeamFile(team_id=team.id, config=canonical_config(config)))
        await self.session.flush()
        return [*([lead] if lead else []), *members]

    async def _tasks(
        self, actor: Actor, access: ProjectAccess, bundle: TeamBundle, statuses: dict[str, Status]
    ) -> dict[str, int]:
        """Each task file as a task of the team, then the dependencies, then owner and status
        (set as the files say: Claude Code does not enforce crewboard's transition rules)."""
        created: dict[str, Task] = {}
        for where, claude in bundle.tasks:
            meta = dict(claude.metadata or {})
            if META_KEY in meta:
                raise ClaudeFormatError(f"{where}: metadata: the key {META_KEY!r} is reserved")
            extra = {k: v for k, v in task_extra(claude).items() if k not in BLOCK_KEYS}
            meta[META_KEY] = {"id": claude.id, **({"extra": extra} if extra else {})}
            try:
                view = await self.tasks.create(
                    actor,
                    access.project.slug,
                    title=claude.subject,
                    description=claude.description,
                    active_form=claude.activeForm,
                    metadata=meta,
                    team=bundle.name,
                )
                created[claude.id] = view.task
            except Invalid as exc:
                raise _in_file(where, exc) from None
        await self._dependencies(actor, access, bundle, created)
        where_of = {claude.id: where for where, claude in bundle.tasks}
        now = utcnow()
        for _, claude in bundle.tasks:
            task, status = created[claude.id], statuses[claude.id]
            changes: dict[str, list[str | None]] = {}
            if claude.owner:
                task.owner = claude.owner
                changes["owner"] = [None, claude.owner]
            block = _block(claude, where_of[claude.id])
            if block is not None and status in (Status.PENDING, Status.IN_PROGRESS):
                status = Status.BLOCKED  # crewboard's own export of a blocked task
                task.blocked_reason, task.needs_agent = block
            if status is not Status.PENDING:
                task.status = status.value
                changes["status"] = [Status.PENDING.value, status.value]
            if status is Status.COMPLETED:
                task.completed_at = now
            if status is Status.IN_PROGRESS and claude.owner:
                task.lease_expires_at = self.tasks.store.lease_until(now)
            if changes:
                await self.tasks.store.save(task)
                self.tasks.store.record(
                    actor, access, task, "task.updated", {"changes": changes, "reason": REASON}
                )
        return {claude_id: task.number for claude_id, task in created.items()}

    async def _dependencies(
        self, actor: Actor, access: ProjectAccess, bundle: TeamBundle, created: dict[str, Task]
    ) -> None:
        """``blocks`` and ``blockedBy`` of every file, as one set of "waits on" edges."""
        edges: set[tuple[str, str]] = set()
        for where, claude in bundle.tasks:
            pairs = [(claude.id, b) for b in claude.blockedBy]
            pairs += [(b, claude.id) for b in claude.blocks]
            for waiting, blocker in pairs:
                if waiting in created and blocker in created and waiting != blocker:
                    edges.add((waiting, blocker))
                else:
                    logger.warning(
                        "%s: dependency %s on %s left out (no such task)", where, waiting, blocker
                    )
        cycle = find_cycle(edges)
        if cycle:
            folder = team_paths(bundle.name)[1]
            raise ClaudeFormatError(
                f"{folder}: blockedBy: tasks {' → '.join([*cycle, cycle[0]])} wait on each other"
            )
        waits: dict[str, list[int]] = {}
        for waiting, blocker in sorted(edges):
            waits.setdefault(waiting, []).append(created[blocker].number)
        for waiting, numbers in waits.items():
            task = created[waiting]
            for start in range(0, len(numbers), MAX_LINKS_PER_CALL):
                await Edges(self.tasks.store).wait_on(
                    actor, access, task, numbers[start : start + MAX_LINKS_PER_CALL]
                )
            self.tasks.store.record(
                actor, access, task, "task.dependencies_added", {"blocked_by": numbers}
            )

    async def _message(
        self, actor: Actor, access: ProjectAccess, team_id: int, incoming: Incoming
    ) -> None:
        """One message, delivered to each inbox it was in, at its own time, read or not.

        Imported history is not re-checked against the sending rules (a response's request
        may be older than the files, request ids may hold ``@``); it is kept as it was.
        """
        protocol, recipients = incoming.protocol, list(incoming.read)
        kind = protocol.kind
        if kind is Kind.MESSAGE and len(recipients) > 1:
            kind = Kind.BROADCAST
        # The columns are bounded; the exact text stays in the kept entry, which export writes.
        message = await deliver(
            self.session,
            actor,
            project_id=access.project.id,
            sender=incoming.sender,
            recipients=recipients,
            kind=kind,
            body=protocol.body[:BODY_MAX],
            summary=(incoming.summary or None) and incoming.summary[:SUMMARY_MAX],
            team_id=team_id,
            request_id=protocol.request_id,
            approve=protocol.approve,
            about={"imported": "claude-code"},
        )
        message.created_at = incoming.at
        self.session.add(ClaudeInboxEntry(message_id=message.id, entry=incoming.entry))
        read = [r for r, was_read in incoming.read.items() if was_read]
        if read:
            # When it was read is not in the files; the message's own time stands in for it.
            await self.session.execute(
                update(Delivery)
                .where(Delivery.message_id == message.id, Delivery.recipient.in_(read))
                .values(read_at=incoming.at)
            )
        await self.session.flush()


def _block(claude: TaskFile, where: str) -> tuple[str, str | None] | None:
    """The block crewboard's export wrote into a task file (its reason, the agent needed)."""
    extra = task_extra(claude)
    reason, needs = extra.get("blockedReason"), extra.get("needsAgent")
    if reason is None:
        return None
    if not isinstance(reason, str) or not reason.strip() or len(reason) > REASON_MAX:
        raise ClaudeFormatError(f"{where}: blockedReason: one line of 1-{REASON_MAX} characters")
    if needs is not None:
        try:
            needs = check_agent_name(needs if isinstance(needs, str) else "")
        except Invalid:
            raise ClaudeFormatError(f"{where}: needsAgent: not an agent name") from None
    try:
        return check_one_line(reason, "blockedReason", REASON_MAX), needs
    except Invalid as exc:
        raise ClaudeFormatError(f"{where}: blockedReason: {exc.message}") from None
