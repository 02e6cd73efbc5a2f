"""What a hand edit of a synced file asks for: pure diffs of parsed files, no HTTP, no I/O.

``plan_tracker`` compares the tracker crewboard last wrote with the file as it is now and
returns the task changes the edit means (a moved line changes status, an edited title or
priority updates it, a new Pending line creates a task) and the problems (lines it cannot
read or edits it cannot apply). ``plan_changelog`` does the same for ``CHANGELOG.md`` (a new
entry without an ``Entry:`` id is appended). Rules: docs/sync.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from crewboard.services.markdown import (
    BLOCKED,
    COMPLETED,
    IN_PROGRESS,
    PENDING,
    ChangelogRecord,
    ParsedTracker,
    TrackerTask,
    parse_changelog,
    parse_tracker,
)


@dataclass(frozen=True, slots=True)
class Problem:
    """A line of a local file that sync cannot read or apply; the file is left as it is."""

    path: str
    line: int
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class TaskEdit:
    """A versioned update of task ``number``: the fields to set (API names)."""

    number: int
    line: int
    text: str
    fields: Mapping[str, Any]

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.fields.items())
        return f"#{self.number}: {shown}"


@dataclass(frozen=True, slots=True)
class NewTask:
    """A task to create from a new Pending line; ``key`` makes the creation happen once."""

    key: str
    line: int
    text: str
    title: str
    priority: int | None
    blocked_by: tuple[int, ...]
    then: Mapping[str, Any] = field(default_factory=dict)  # the status it was written under


@dataclass(frozen=True, slots=True)
class NewEntry:
    """A hand-written changelog entry to append."""

    line: int
    record: ChangelogRecord


@dataclass
class Plan:
    """What one local file asks for; ``problems`` non-empty means apply nothing of it."""

    edits: list[TaskEdit] = field(default_factory=list)
    creates: list[NewTask] = field(default_factory=list)
    entries: list[NewEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.edits or self.creates or self.entries or self.problems)


def _lines(text: str) -> list[str]:
    return [line.removesuffix("\r") for line in text.split("\n")]


def _status_fields(agent: str, base: TrackerTask, local: TrackerTask) -> dict[str, Any] | str:
    """The fields a move to ``local.status`` needs, taken from the line; or why it cannot."""
    target = local.status
    if target == BLOCKED:
        # No reason written: the line's own words say why (as init reads such a line).
        reason = local.blocked_reason or local.title or base.title
        fields: dict[str, Any] = {"status": target, "blocked_reason": reason}
        if local.needs_agent:
            fields["needs_agent"] = local.needs_agent
        return fields
    if target == COMPLETED:
        fields = {"status": target, "files": list(local.files)}
        if local.outcome:
            fields["outcome"] = local.outcome
        if local.verified is not None:
            fields["verified"] = local.verified
        return fields
    if target == IN_PROGRESS:
        return {"status": target, "owner": local.owner or base.owner or agent}
    return {"status": target}


def _same_status_fields(base: TrackerTask, local: TrackerTask) -> dict[str, Any]:
    """Edits of the values a line of an unchanged status shows."""
    fields: dict[str, Any] = {}
    if local.status == BLOCKED:
        if local.blocked_reason and local.blocked_reason != base.blocked_reason:
            fields["blocked_reason"] = local.blocked_reason
        if local.needs_agent and local.needs_agent != base.needs_agent:
            fields["needs_agent"] = local.needs_agent
    if local.status == COMPLETED:
        if local.outcome and local.outcome != base.outcome:
            fields["outcome"] = local.outcome
        if local.files != base.files:
            fields["files"] = list(local.files)
        if local.verified is not None and local.verified != base.verified:
            fields["verified"] = local.verified
    if local.status == IN_PROGRESS and local.owner and local.owner != base.owner:
        fields["owner"] = local.owner
    return fields


def task_change(agent: str, base: TrackerTask, local: TrackerTask) -> dict[str, Any] | str:
    """The update a changed line asks for (``{}``: none), or why it cannot be applied."""
    if local.status != base.status:
        moved = _status_fields(agent, base, local)
        if isinstance(moved, str):
            return moved
        fields = dict(moved)
    else:
        fields = _same_status_fields(base, local)
    if local.status == COMPLETED and local.outcome is None and local.title != base.title:
        # The template's completed line is "**date**: <what was done>": the outcome.
        fields["outcome"] = local.title
    elif local.title != base.title:
        fields["title"] = local.title
    if local.status != COMPLETED and local.priority not in (None, base.priority):
        fields["priority"] = local.priority
    unfinished = local.status != COMPLETED and base.status != COMPLETED
    if unfinished and (local.waits_on, local.follow_up_of) != (base.waits_on, base.follow_up_of):
        return "'waits on' and 'follow-up of' are links: change them with crewboard task"
    return fields


def create_key(path: str, base_text: str, line_text: str, occurrence: int) -> str:
    """The identity of one new line in one edit of one file: the same edit, the same key."""
    seed = "\n".join((path, hashlib.sha256(base_text.encode()).hexdigest(), line_text.strip()))
    return hashlib.sha256(f"{seed}\n{occurrence}".encode()).hexdigest()[:24]


def _new_line(
    path: str, agent: str, base_text: str, text: str, task: TrackerTask, seen: dict[str, int]
) -> NewTask | str:
    if task.follow_up_of is not None:
        return "'follow-up of' is a link: make a follow-up with crewboard task follow-up"
    then: Mapping[str, Any] = {}
    if task.status != PENDING:
        bare = TrackerTask(PENDING, task.title, priority=task.priority)
        moved = _status_fields(agent, bare, task)
        if isinstance(moved, str):
            return moved
        then = moved
    elif task.owner:
        return "a new Pending line has no owner: move it to In Progress to take it"
    occurrence = seen.get(text.strip(), 0)
    seen[text.strip()] = occurrence + 1
    key = create_key(path, base_text, text, occurrence)
    return NewTask(key, 0, text, task.title, task.priority, task.waits_on, then)


def _adopted(base: ParsedTracker, local: ParsedTracker) -> ParsedTracker:
    """A file sync never wrote (``crewboard init`` read it): its lines without a number get
    the number of the server's task they show (same section and title, else same title)."""
    free = {i.task.number: i.task for i in base.items if i.task.number is not None}
    free = {n: t for n, t in free.items() if n not in {i.task.number for i in local.items}}
    items = []
    for item in local.items:
        task = item.task
        if task.number is None:
            match = next(
                (n for n, t in free.items() if (t.status, t.title) == (task.status, task.title)),
                None,
            )
            if match is None:
                match = next((n for n, t in free.items() if t.title == task.title), None)
            if match is not None:
                del free[match]
                item = replace(item, task=replace(task, number=match))
        items.append(item)
    return replace(local, items=tuple(items))


def plan_tracker(
    path: str, agent: str, base_text: str, local_text: str, *, adopting: bool = False
) -> Plan:
    """The changes ``local_text`` makes to the tracker crewboard wrote as ``base_text``
    (``adopting``: a file sync never wrote, read against the server's text)."""
    plan = Plan()
    base = parse_tracker(base_text)
    local = parse_tracker(local_text)
    if adopting:
        local = _adopted(base, local)
    lines = _lines(local_text)
    for bad in local.unparsed:
        plan.problems.append(Problem(path, bad.line, bad.text, bad.reason))
    base_items = {i.task.number: i.task for i in base.items if i.task.number is not None}
    local_numbers: set[int] = set()
    seen: dict[str, int] = {}
    for item in local.items:
        text = lines[item.line - 1] if item.line <= len(lines) else ""
        number = item.task.number
        if number is None:
            new = _new_line(path, agent, base_text, text, item.task, seen)
            if isinstance(new, str):
                plan.problems.append(Problem(path, item.line, text, new))
            else:
                plan.creates.append(replace(new, line=item.line, text=item.task.source or text))
            continue
        local_numbers.add(number)
        before = base_items.get(number)
        if before is None:
            reason = f"#{number} was not on this tracker: a new task is a Pending line without #N"
            plan.problems.append(Problem(path, item.line, text, reason))
            continue
        change = task_change(agent, before, item.task)
        if isinstance(change, str):
            plan.problems.append(Problem(path, item.line, text, change))
        elif change:
            plan.edits.append(TaskEdit(number, item.line, text, change))
    for number in sorted(set(base_items) - local_numbers):
        if adopting:
            continue  # on the server only: written into the file, not a deletion
        reason = f"the line of #{number} was deleted: sync does not delete tasks; it is back"
        plan.problems.append(Problem(path, 0, f"#{number} {base_items[number].title}", reason))
    return plan


def plan_changelog(path: str, base_text: str, local_text: str, *, adopting: bool = False) -> Plan:
    """The entries ``local_text`` adds to the changelog crewboard wrote as ``base_text``
    (``adopting``: a file sync never wrote; entries the server has are not added again)."""
    plan = Plan()
    base = parse_changelog(base_text)
    local = parse_changelog(local_text)
    lines = _lines(local_text)
    for bad in local.unparsed:
        plan.problems.append(Problem(path, bad.line, bad.text, bad.reason))
    written = {e.record.entry_id: e.record for e in base.entries}
    unmatched = [e.record for e in base.entries]
    kept: set[int] = set()
    for entry in local.entries:
        record = entry.record
        heading = lines[entry.line - 1] if entry.line <= len(lines) else ""
        match = next((r for r in unmatched if entry_matches(record, r)), None)
        if adopting and record.entry_id is None and match is not None:
            unmatched.remove(match)
            if match.entry_id is not None:
                kept.add(match.entry_id)
        elif record.entry_id is None:
            plan.entries.append(NewEntry(entry.line, record))
        elif written.get(record.entry_id) != record:
            reason = f"entry {record.entry_id} was changed: the changelog is append-only"
            plan.problems.append(Problem(path, entry.line, heading, reason))
        else:
            kept.add(record.entry_id)
    for entry_id in sorted(i for i in set(written) - kept if i is not None and not adopting):
        reason = f"entry {entry_id} was deleted: the changelog is append-only; it is back"
        plan.problems.append(Problem(path, 0, written[entry_id].title, reason))
    return plan


def satisfied(fields: Mapping[str, Any], task: Mapping[str, Any]) -> bool:
    """Whether the server's task already holds every value of an update (applied before)."""
    return all(task.get(name) == value for name, value in fields.items())


def entry_matches(record: ChangelogRecord, server: ChangelogRecord) -> bool:
    """Whether a server entry is this hand-written one, appended before."""
    mine = (record.title, record.problem, record.fix, record.verification, record.files)
    theirs = (server.title, server.problem, server.fix, server.verification, server.files)
    return mine == theirs and record.agent in (None, server.agent)
