"""The records of an import file grouped by type, with every cross-reference checked.

Each line was valid on its own (records); here the file is checked as a whole:
one project, no duplicates, no reference to a team, task or message the file lacks, no
dependency cycle. A problem is ``Invalid("FILE:LINE: reason")`` before anything is written.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from crewboard.services.core import Invalid
from crewboard.services.interop.transfer.records import (
    AgentRecord,
    ChangelogRecord,
    ClaudeMessageRecord,
    ClaudeTeamRecord,
    DeliveryRecord,
    DependencyRecord,
    EventRecord,
    MemberRecord,
    MessageRecord,
    Numbered,
    ProjectRecord,
    TaskRecord,
    TeamMemberRecord,
    TeamRecord,
)


@dataclass
class Plan:
    """What the file holds, by type, in file order; ``lines`` maps records to their line."""

    project: ProjectRecord
    agents: list[AgentRecord] = field(default_factory=list)
    members: list[MemberRecord] = field(default_factory=list)
    teams: list[TeamRecord] = field(default_factory=list)
    team_members: list[TeamMemberRecord] = field(default_factory=list)
    claude_teams: list[ClaudeTeamRecord] = field(default_factory=list)
    tasks: list[TaskRecord] = field(default_factory=list)
    dependencies: list[DependencyRecord] = field(default_factory=list)
    messages: list[MessageRecord] = field(default_factory=list)
    deliveries: list[DeliveryRecord] = field(default_factory=list)
    claude_messages: list[ClaudeMessageRecord] = field(default_factory=list)
    changelog: list[ChangelogRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    member_lines: dict[str, int] = field(default_factory=dict)


_LISTS = {
    AgentRecord: "agents",
    MemberRecord: "members",
    TeamRecord: "teams",
    TeamMemberRecord: "team_members",
    ClaudeTeamRecord: "claude_teams",
    TaskRecord: "tasks",
    DependencyRecord: "dependencies",
    MessageRecord: "messages",
    DeliveryRecord: "deliveries",
    ClaudeMessageRecord: "claude_messages",
    ChangelogRecord: "changelog",
    EventRecord: "events",
}


class _Checker:
    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: dict[tuple[str, Hashable], int] = {}

    def fail(self, line: int, reason: str) -> Invalid:
        return Invalid(f"{self.name}:{line}: {reason}", field="file")

    def unique(self, line: int, what: str, key: Hashable) -> None:
        first = self.seen.setdefault((what, key), line)
        if first != line:
            raise self.fail(line, f"duplicate {what} {key} (first on line {first})")

    def exists(self, line: int, what: str, key: Hashable | None) -> None:
        if key is not None and (what, key) not in self.seen:
            raise self.fail(line, f"{what} {key} is not in the file")


def plan_import(name: str, records: list[Numbered]) -> Plan:
    """Group and check the records of file ``name`` (its lines numbered from 1)."""
    check = _Checker(name)
    projects = [item for item in records if isinstance(item.record, ProjectRecord)]
    if not projects:
        raise check.fail(records[0].line if records else 1, "no project record in the file")
    if len(projects) > 1:
        raise check.fail(projects[1].line, "a second project record (one project per file)")
    first = projects[0]
    if records[0] is not first:
        raise check.fail(records[0].line, "the project record must come right after the header")
    assert isinstance(first.record, ProjectRecord)
    plan = Plan(project=first.record)
    for item in records[1:]:
        getattr(plan, _LISTS[type(item.record)]).append(item.record)
        _declare(check, item, plan)
    for item in records[1:]:
        _references(check, item)
    _no_cycles(check, records)
    return plan


def _declare(check: _Checker, item: Numbered, plan: Plan) -> None:
    """Record the keys each line defines, refusing duplicates."""
    record, line = item.record, item.line
    if isinstance(record, AgentRecord):
        check.unique(line, "agent", record.name)
    elif isinstance(record, MemberRecord):
        email = record.email.strip().lower()
        check.unique(line, "member", email)
        plan.member_lines[email] = line
    elif isinstance(record, TeamRecord):
        check.unique(line, "team", record.id)
        if record.deleted_at is None:
            check.unique(line, "live team named", record.name)
    elif isinstance(record, TaskRecord):
        check.unique(line, "task number", record.number)
    elif isinstance(record, MessageRecord):
        check.unique(line, "message", record.id)
    elif isinstance(record, ChangelogRecord):
        check.unique(line, "changelog entry", record.id)


def _references(check: _Checker, item: Numbered) -> None:
    """Every pointer names a record of the file; pairs are not repeated."""
    record, line = item.record, item.line
    if isinstance(record, TeamMemberRecord):
        check.exists(line, "team", record.team)
        check.unique(line, "team member", (record.team, record.agent_name))
    elif isinstance(record, ClaudeTeamRecord):
        check.exists(line, "team", record.team)
        check.unique(line, "claude_team of team", record.team)
    elif isinstance(record, TaskRecord):
        check.exists(line, "team", record.team)
        check.exists(line, "task number", record.source)
        if record.source == record.number:
            raise check.fail(line, f"task #{record.number} is its own source")
    elif isinstance(record, DependencyRecord):
        check.exists(line, "task number", record.task)
        check.exists(line, "task number", record.blocked_by)
        if record.task == record.blocked_by:
            raise check.fail(line, f"task #{record.task} cannot be blocked by itself")
        check.unique(line, "dependency", (record.task, record.blocked_by))
    elif isinstance(record, MessageRecord):
        check.exists(line, "team", record.team)
        check.exists(line, "message", record.reply_to)
    elif isinstance(record, DeliveryRecord):
        check.exists(line, "message", record.message)
        check.unique(line, "delivery", (record.message, record.recipient))
    elif isinstance(record, ClaudeMessageRecord):
        check.exists(line, "message", record.message)
        check.unique(line, "claude_message of message", record.message)
    elif isinstance(record, ChangelogRecord):
        for number in record.tasks:
            check.exists(line, "task number", number)
        if len(set(record.tasks)) != len(record.tasks):
            raise check.fail(line, "a changelog entry names a task twice")


def _no_cycles(check: _Checker, records: list[Numbered]) -> None:
    """Dependencies form no cycle (the services refuse one; a hand-edited file may not)."""
    edges: dict[int, list[int]] = {}
    lines: dict[tuple[int, int], int] = {}
    for item in records:
        if isinstance(item.record, DependencyRecord):
            edges.setdefault(item.record.task, []).append(item.record.blocked_by)
            lines[(item.record.task, item.record.blocked_by)] = item.line
    done: set[int] = set()
    for start in edges:
        if start in done:
            continue
        path: list[int] = []
        on_path: set[int] = set()
        stack: list[tuple[int, int]] = [(start, 0)]
        while stack:
            node, index = stack.pop()
            if index == 0:
                path.append(node)
                on_path.add(node)
            nexts = edges.get(node, [])
            if index < len(nexts):
                stack.append((node, index + 1))
                target = nexts[index]
                if target in on_path:
                    raise check.fail(
                        lines[(node, target)],
                        f"dependency #{node} on #{target} closes a cycle",
                    )
                if target not in done:
                    stack.append((target, 0))
            else:
                path.pop()
                on_path.discard(node)
                done.add(node)
