"""What ``crewboard init`` will write, worked out from the files alone (no database).

Every task line and changelog entry becomes a planned row, checked with the services' field
rules; what cannot be imported becomes a ``FileNote`` naming the file, the line and why.
Task numbers written in the files are kept when free; the others are numbered after the
highest kept one. Rules: docs/init.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from crewboard.services.core import Invalid, check_agent_name, check_text
from crewboard.services.interop.claude import find_cycle
from crewboard.services.interop.repo.files import CHANGELOG, FileNote, RepoFiles, notes_of
from crewboard.services.markdown import (
    BLOCKED,
    COMPLETED,
    DEFAULT_PRIORITY,
    IN_PROGRESS,
    ITEM,
    ChangelogStyle,
    TrackerStyle,
    TrackerTask,
)
from crewboard.services.tasks import (
    BODY_MAX,
    OUTCOME_MAX,
    REASON_MAX,
    VERIFIED_MAX,
    check_files,
    check_one_line,
    check_title,
)
from crewboard.services.tasks import CHANGELOG_TITLE_MAX as ENTRY_TITLE_MAX


class DependencyCycle(Invalid):
    """The trackers' "waits on" links go round in a circle."""

    code = "dependency-cycle"


@dataclass(frozen=True, slots=True)
class PlannedTask:
    """One task line, checked, with its final number and links by final numbers."""

    path: str
    line: int
    tracker: str
    number: int
    written: int | None  # the number the file gave it, if any
    status: str
    title: str
    priority: int
    owner: str | None
    blocked_reason: str | None
    needs_agent: str | None
    completed_on: date | None
    outcome: str | None
    files: list[str]
    verified: str | None
    waits_on: list[int] = field(default_factory=list)
    follow_up_of: int | None = None
    source: str | None = None  # the line(s) as the file wrote them


@dataclass(frozen=True, slots=True)
class PlannedEntry:
    """One changelog entry, checked, linked to tasks by their final numbers."""

    line: int
    title: str
    agent: str
    day: date | None
    problem: str
    fix: str
    files: list[str]
    verification: str
    tasks: list[int]
    source: str | None = None  # the entry as the file wrote it


@dataclass(slots=True)
class Plan:
    """The roster (name, domain, where from), tasks, entries and everything reported."""

    agents: dict[str, tuple[str, str]] = field(default_factory=dict)
    tasks: list[PlannedTask] = field(default_factory=list)
    entries: list[PlannedEntry] = field(default_factory=list)
    notes: list[FileNote] = field(default_factory=list)
    # How each file is written (by tracker agent; the changelog's), kept on every render.
    tracker_styles: dict[str, TrackerStyle] = field(default_factory=dict)
    changelog_style: ChangelogStyle | None = None

    def add_agent(self, name: str, domain: str, source: str) -> None:
        self.agents.setdefault(name, (domain, source))

    @property
    def numbered(self) -> list[PlannedTask]:
        """Tasks that got a new number: the file gave none, or an earlier line took it."""
        return [t for t in self.tasks if t.written != t.number]


def _agent(value: str, what: str) -> str:
    try:
        return check_agent_name(value)
    except Invalid as exc:
        raise Invalid(f"{what} {value!r} is not a valid agent name", field=what) from exc


def _optional(value: str | None, name: str, limit: int) -> str | None:
    return check_one_line(value, name, limit) if value is not None and value.strip() else None


@dataclass(frozen=True, slots=True)
class _Line:
    path: str
    line: int
    raw: str
    tracker: str
    task: TrackerTask


def _checked(item: _Line) -> PlannedTask:
    """The task a line stands for, with its fields checked (``Invalid`` names the field)."""
    task, status = item.task, item.task.status
    owner = task.owner
    if owner is None and status in (IN_PROGRESS, BLOCKED, COMPLETED):
        owner = item.tracker  # the tracker's agent is the one working (or who worked) on it
    reason = None
    if status == BLOCKED:
        # No reason written: the line's title is the best account of why (as sync reads it).
        written = ITEM.fullmatch(item.raw.strip())
        reason = (
            task.blocked_reason
            or task.title
            or (written and written.group("text"))
            or item.raw.strip()
        )
        reason = check_one_line(reason, "blocked_reason", REASON_MAX)
    return PlannedTask(
        path=item.path,
        line=item.line,
        tracker=item.tracker,
        number=0,
        written=task.number,
        status=status,
        title=check_title(task.title),
        priority=DEFAULT_PRIORITY if task.priority is None else task.priority,
        owner=_agent(owner, "owner") if owner is not None else None,
        blocked_reason=reason,
        needs_agent=_agent(task.needs_agent, "needs") if task.needs_agent else None,
        completed_on=task.completed_on,
        outcome=_optional(task.outcome, "outcome", OUTCOME_MAX),
        files=check_files(list(task.files)),
        verified=_optional(task.verified, "verified", VERIFIED_MAX),
        source=task.source,
    )


def _number(lines: list[tuple[_Line, PlannedTask]]) -> list[tuple[_Line, PlannedTask]]:
    """Keep each written number the first line claims; number the rest after the highest."""
    kept: set[int] = set()
    for _, task in lines:
        if task.written is not None and task.written not in kept:
            kept.add(task.written)
    following = max(kept, default=0)
    taken: set[int] = set()
    out = []
    for item, task in lines:
        number = task.written
        if number is None or number in taken:
            following += 1
            number = following
        taken.add(number)
        out.append((item, replace(task, number=number)))
    return out


def _unlinked(path: str, line: int, part: str, written: int) -> FileNote:
    return FileNote(
        path, line, f"{part} #{written}", f"no task #{written} in the trackers; link left out"
    )


def _links(plan: Plan, numbered: list[tuple[_Line, PlannedTask]]) -> None:
    """Resolve "waits on" and "follow-up of" by the numbers the files wrote."""
    by_written = {t.written: t.number for _, t in numbered if t.written == t.number}
    for item, task in numbered:
        waits: list[int] = []
        for written in item.task.waits_on:
            found = by_written.get(written)
            if found is None or found == task.number:
                plan.notes.append(_unlinked(item.path, item.line, "waits on:", written))
            elif found not in waits:
                waits.append(found)
        source = None
        if (origin := item.task.follow_up_of) is not None:
            source = by_written.get(origin)
            if source is None or source == task.number:
                source = None
                plan.notes.append(_unlinked(item.path, item.line, "follow-up of:", origin))
        plan.tasks.append(replace(task, waits_on=waits, follow_up_of=source))
    edges = {(str(t.number), str(b)) for t in plan.tasks for b in t.waits_on}
    cycle = find_cycle(edges)
    if cycle:
        ring = " → ".join(f"#{n}" for n in [*cycle, cycle[0]])
        raise DependencyCycle(f"the trackers' 'waits on' links go round: {ring}")


def _tasks(plan: Plan, files: RepoFiles) -> None:
    checked: list[tuple[_Line, PlannedTask]] = []
    for tracker in files.trackers:
        plan.add_agent(tracker.agent, "", tracker.path)
        plan.tracker_styles[tracker.agent] = tracker.parsed.style
        plan.notes += notes_of(tracker.path, tracker.parsed.unparsed)
        for parsed in tracker.parsed.items:
            item = _Line(
                tracker.path,
                parsed.line,
                tracker.lines[parsed.line - 1],
                tracker.agent,
                parsed.task,
            )
            try:
                task = _checked(item)
            except Invalid as exc:
                plan.notes.append(
                    FileNote(item.path, item.line, item.raw, f"{exc.message}; not imported")
                )
                continue
            checked.append((item, task))
            for name in (task.owner, task.needs_agent):
                if name is not None:
                    plan.add_agent(name, "", f"{item.path}:{item.line}")
    _links(plan, _number(checked))


def _entries(plan: Plan, files: RepoFiles, default_agent: str | None) -> None:
    if files.changelog is None:
        return
    plan.changelog_style = files.changelog.style
    for note in notes_of(CHANGELOG, files.changelog.unparsed):
        if note.reason.startswith("the entry has no "):
            note = replace(note, reason=note.reason + " (imported with that part empty)")
        plan.notes.append(note)
    known = {t.written: t.number for t in plan.tasks if t.written == t.number}
    for parsed in files.changelog.entries:
        record, line = parsed.record, parsed.line
        try:
            if record.agent is None and default_agent is None:
                raise Invalid(
                    "the entry names no agent (add '- Agent: NAME', or pass --changelog-agent NAME)"
                )
            agent = _agent(record.agent or default_agent or "", "agent")
            entry = PlannedEntry(
                line=line,
                title=check_one_line(record.title, "title", ENTRY_TITLE_MAX),
                agent=agent,
                day=record.day,
                problem=check_text(record.problem, "problem", BODY_MAX, required=False),
                fix=check_text(record.fix, "fix", BODY_MAX, required=False),
                files=check_files(list(record.files)),
                verification=check_text(
                    record.verification, "verification", BODY_MAX, required=False
                ),
                tasks=[],
                source=record.source,
            )
        except Invalid as exc:
            plan.notes.append(
                FileNote(CHANGELOG, line, record.title, f"{exc.message}; entry not imported")
            )
            continue
        for written in dict.fromkeys(record.tasks):
            if written in known:
                entry.tasks.append(known[written])
            else:
                plan.notes.append(_unlinked(CHANGELOG, line, "Tasks:", written))
        plan.add_agent(agent, "", f"{CHANGELOG}:{line}")
        plan.entries.append(entry)


def plan_import(files: RepoFiles, *, changelog_agent: str | None = None) -> Plan:
    """Everything the files say, checked and numbered, and every line that will not be."""
    plan = Plan()
    for agent in files.agents:
        plan.add_agent(agent.name, agent.domain, agent.path)
    plan.notes += files.notes
    _tasks(plan, files)
    _entries(plan, files, changelog_agent)
    plan.notes.sort(key=lambda n: (n.path, n.line))
    return plan
