"""An agent's tracker as markdown (``.claude/trackers/<agent>-tracker.md``); a pure function.

The grammar is in docs/markdown.md. By default every task line carries its number and
completed lines keep the template's form ``- **YYYY-MM-DD**: <summary>. Files: <list>.
Verified: <how>.``; with a style learned from a file, the file's own dialect is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from crewboard.services.markdown.escape import escape
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
from crewboard.services.markdown.tracker_line import NO_FILES, NOT_VERIFIED
from crewboard.services.markdown.tracker_parse import read_line
from crewboard.services.markdown.tracker_style import DEFAULT_STYLE, TrackerStyle

EMPTY = "_none_"
DEFAULT_PRIORITY = 2  # what a line that shows no priority stands for (as init reads it)
FILES, VERIFIED, NEEDS = ". Files: ", ". Verified: ", " (needs: "
_LAST = float("inf")
_KEYS = ("Files:", "Verified:")
_NEEDS_WORD = re.compile(r"(?i)(?<![\\(])needs:")


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


def _reason(text: str) -> str:
    # "needs:" in any case would be read back as the agent needed.
    return _NEEDS_WORD.sub(lambda m: "\\" + m.group(0), escape(text, ("(needs:", "--")))


def _box(task: TrackerTask, style: TrackerStyle) -> str:
    if not style.boxes:
        return ""
    return "[x] " if task.status == COMPLETED else "[ ] "


def _head(task: TrackerTask, style: TrackerStyle) -> str:
    head = "- " + _box(task, style)
    if task.number is not None and style.ids == "prefix":
        head += f"#{task.number} "
    if task.priority is not None:
        head += f"**P{task.priority}**: " if style.priority == "bold" else f"[P{task.priority}] "
    return head


def _id(task: TrackerTask, style: TrackerStyle) -> str:
    return f" <!-- #{task.number} -->" if style.ids == "comment" and task.number is not None else ""


def task_line(task: TrackerTask, style: TrackerStyle = DEFAULT_STYLE) -> str:
    """One task's line (the completed form for completed tasks)."""
    if task.status == COMPLETED:
        return completed_line(task, style)
    head = _head(task, style)
    parts = [head + escape(task.title, ("--",)) if task.title else head.rstrip(" ")]
    if task.owner:
        parts.append(f"owner: {escape(task.owner, ('--',))}")
    if task.waits_on:
        parts.append(f"waits on: {_numbers(task.waits_on)}")
    if task.follow_up_of is not None:
        parts.append(f"follow-up of: #{task.follow_up_of}")
    if task.blocked_reason is not None or task.needs_agent is not None:
        blocked = "blocked:" + (f" {_reason(task.blocked_reason)}" if task.blocked_reason else "")
        if task.needs_agent is not None:
            blocked += f"{NEEDS}{_reason(task.needs_agent)})"
        parts.append(blocked)
    return style.separator.join(parts) + _id(task, style)


def completed_line(task: TrackerTask, style: TrackerStyle = DEFAULT_STYLE) -> str:
    """``- **YYYY-MM-DD**: #N <title> — <outcome>. Files: <list>. Verified: <how>.``"""
    line = "- " + _box(task, style)
    if task.completed_on is not None:
        line += f"**{task.completed_on.isoformat()}**: "
    if task.number is not None and style.ids == "prefix":
        line += f"#{task.number} "
    line += escape(task.title, (*_KEYS, "--"))
    if task.outcome is not None:
        line += style.separator + escape(task.outcome, (*_KEYS, "--"))
    files = [escape(f, (",", *_KEYS), sentinels=(NO_FILES,)) for f in task.files]
    line += FILES + (", ".join(files) if files else NO_FILES)
    verified = (
        NOT_VERIFIED if task.verified is None else escape(task.verified, sentinels=(NOT_VERIFIED,))
    )
    return f"{line}{VERIFIED}{verified}." + _id(task, style)


def _own_words(task: TrackerTask, style: TrackerStyle, agent: str) -> str | None:
    """The task's source lines with its id, when they still read as exactly this task.

    A line that shows no priority reads as the default one, and one that shows no owner as
    owned by the tracker's own agent: the template's lines show neither."""
    if task.source is None or style.ids != "comment" or task.number is None:
        return None
    read = read_line(task.source, task.status)
    if read is None or read.number is not None:
        return None
    if read.priority is None and task.priority == DEFAULT_PRIORITY:
        read = replace(read, priority=task.priority)
    if read.owner is None and task.owner == agent:
        read = replace(read, owner=agent)
    if read.status == BLOCKED and read.blocked_reason is None and task.blocked_reason == task.title:
        read = replace(read, blocked_reason=task.title)  # no reason written: the title is it
    if read != _unnumbered(task):
        return None
    return task.source + _id(task, style)


def _unnumbered(task: TrackerTask) -> TrackerTask:
    return TrackerTask(
        status=task.status,
        title=task.title,
        priority=task.priority,
        owner=task.owner,
        waits_on=task.waits_on,
        follow_up_of=task.follow_up_of,
        blocked_reason=task.blocked_reason,
        needs_agent=task.needs_agent,
        completed_on=task.completed_on,
        outcome=task.outcome,
        files=task.files,
        verified=task.verified,
    )


def render_tracker(doc: TrackerDoc, style: TrackerStyle | None = None) -> str:
    """The tracker file; the same document and style always give the same text (a task with
    ``source`` keeps its own words while they read as the task)."""
    style = style or DEFAULT_STYLE
    tasks = ordered(doc.tasks)
    body: list[str] = [""]
    if style.preamble:
        body += [*style.preamble, ""]
    for status, heading in style.heading_lines():
        own = style.section(status)
        lines = [
            _own_words(t, style, doc.agent) or task_line(t, style)
            for t in tasks
            if t.status == status
        ]
        body += [heading, ""]
        body += [*own.lead, *lines, *own.trail] if lines else list(own.empty)
        if doc.hidden.get(status):
            body.append(hidden_line(doc.hidden[status]))
        body.append("")
    text = "\n".join(body).rstrip("\n") + "\n"
    title = f"# {doc.agent} tracker" if style.title is None else style.title
    if style.header:
        return f"{title}\n{header_line(doc.project, doc.agent, text)}\n{text}"
    return f"{title}\n{text}" if title else text.removeprefix("\n")
