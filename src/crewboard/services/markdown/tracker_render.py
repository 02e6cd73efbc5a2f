"""An agent's tracker as markdown (``.claude/trackers/<agent>-tracker.md``); a pure function.

The grammar is in docs/markdown.md. Every task line carries its number; completed lines
keep the template's form ``- **YYYY-MM-DD**: <summary>. Files: <list>. Verified: <how>.``
"""

from __future__ import annotations

from collections.abc import Iterable

from crewboard.services.markdown.escape import SEPARATOR, escape
from crewboard.services.markdown.header import header_line
from crewboard.services.markdown.model import (
    BLOCKED,
    COMPLETED,
    IN_PROGRESS,
    PENDING,
    SECTIONS,
    TrackerDoc,
    TrackerTask,
)

EMPTY = "_none_"
FILES, VERIFIED, NEEDS = ". Files: ", ". Verified: ", " (needs: "
NO_FILES, NOT_VERIFIED = "none", "not recorded"
_LAST = float("inf")


def hidden_line(count: int) -> str:
    """The line that stands for tasks of a section left out of the file."""
    return f"_… and {count} more not shown_"


def _number(task: TrackerTask) -> float:
    return _LAST if task.number is None else task.number


def ordered(tasks: Iterable[TrackerTask]) -> list[TrackerTask]:
    """Tasks in file order: by section; In Progress and Blocked by number, Pending by
    priority then number, Completed newest first (date, then number, descending)."""
    by_status: dict[str, list[TrackerTask]] = {status: [] for status, _ in SECTIONS}
    for task in tasks:
        by_status[task.status].append(task)
    by_status[PENDING].sort(key=lambda t: (_LAST if t.priority is None else t.priority, _number(t)))
    by_status[IN_PROGRESS].sort(key=_number)
    by_status[BLOCKED].sort(key=_number)
    by_status[COMPLETED].sort(
        key=lambda t: (t.completed_on.toordinal() if t.completed_on else -1, -_number(t)),
        reverse=True,
    )
    return [task for status, _ in SECTIONS for task in by_status[status]]


def _numbers(numbers: Iterable[int]) -> str:
    return ", ".join(f"#{n}" for n in numbers)


def task_line(task: TrackerTask) -> str:
    """One task's line (the completed form for completed tasks)."""
    if task.status == COMPLETED:
        return completed_line(task)
    head = "- "
    if task.number is not None:
        head += f"#{task.number} "
    if task.priority is not None:
        head += f"[P{task.priority}] "
    parts = [head + escape(task.title) if task.title else head.rstrip(" ")]
    if task.owner:
        parts.append(f"owner: {escape(task.owner)}")
    if task.waits_on:
        parts.append(f"waits on: {_numbers(task.waits_on)}")
    if task.follow_up_of is not None:
        parts.append(f"follow-up of: #{task.follow_up_of}")
    if task.blocked_reason is not None or task.needs_agent is not None:
        blocked = "blocked:" + (
            f" {escape(task.blocked_reason, ('(needs:',))}" if task.blocked_reason else ""
        )
        if task.needs_agent is not None:
            blocked += f"{NEEDS}{escape(task.needs_agent, ('(needs:',))})"
        parts.append(blocked)
    return SEPARATOR.join(parts)


def completed_line(task: TrackerTask) -> str:
    """``- **YYYY-MM-DD**: #N <title> — <outcome>. Files: <list>. Verified: <how>.``"""
    line = "- "
    if task.completed_on is not None:
        line += f"**{task.completed_on.isoformat()}**: "
    if task.number is not None:
        line += f"#{task.number} "
    line += escape(task.title, (FILES,))
    if task.outcome is not None:
        line += SEPARATOR + escape(task.outcome, (FILES,))
    files = [escape(f, (",", VERIFIED), sentinels=(NO_FILES,)) for f in task.files]
    line += FILES + (", ".join(files) if files else NO_FILES)
    verified = (
        NOT_VERIFIED if task.verified is None else escape(task.verified, sentinels=(NOT_VERIFIED,))
    )
    return f"{line}{VERIFIED}{verified}."


def render_tracker(doc: TrackerDoc) -> str:
    """The tracker file; the same document always gives the same text."""
    tasks = ordered(doc.tasks)
    body: list[str] = [""]
    for status, heading in SECTIONS:
        body += [f"## {heading}", ""]
        lines = [task_line(t) for t in tasks if t.status == status]
        body += lines or [EMPTY]
        if doc.hidden.get(status):
            body.append(hidden_line(doc.hidden[status]))
        body.append("")
    text = "\n".join(body).rstrip("\n") + "\n"
    return f"# {doc.agent} tracker\n{header_line(doc.project, doc.agent, text)}\n{text}"
