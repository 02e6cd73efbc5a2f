"""How the API's answers look to people, one place for every client command: tasks (a line,
a table, a panel with the history), teams, messages, changelog entries and live events.

Fed by the schemas (``crewboard.schemas``) the API answers with; ``--json`` bypasses this."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crewboard.cli.errors import one_line
from crewboard.cli.output import emit_table, when
from crewboard.schemas.messages import MessageRead
from crewboard.schemas.tasks import ChangelogRead, EventRead, TaskRead
from crewboard.schemas.teams import TeamRead
from crewboard.services.tasks import Status

COLUMNS = ("#", "pri", "status", "title", "tracker", "team", "owner", "blocked", "lease")


def lease_left(task: TaskRead, now: datetime | None = None) -> str:
    """``12m left`` / ``expired`` while a lease runs; empty otherwise."""
    if task.lease_expires_at is None:
        return ""
    seconds = (task.lease_expires_at - (now or datetime.now(UTC))).total_seconds()
    if seconds <= 0:
        return "expired"
    minutes = int(seconds // 60)
    if minutes >= 120:
        return f"{minutes // 60}h left"
    return f"{minutes}m left" if minutes else f"{int(seconds)}s left"


def blocked(task: TaskRead) -> str:
    """``reason → agent`` (the agent whose help is needed), or what it waits on."""
    parts = []
    if task.blocked_reason:
        parts.append(task.blocked_reason)
    if task.needs_agent:
        parts.append(f"→ {task.needs_agent}")
    if task.open_blockers:
        parts.append("waits on " + ", ".join(f"#{n}" for n in task.open_blockers))
    return " ".join(parts)


def task_line(task: TaskRead) -> str:
    """``#12 P1 in_progress "Title" · tracker backend · owner backend · 29m left``."""
    parts = [f"#{task.number} P{task.priority} {task.status} {json.dumps(task.title)}"]
    if task.tracker:
        parts.append(f"tracker {task.tracker}")
    if task.team:
        parts.append(f"team {task.team}")
    if task.owner:
        parts.append(f"owner {task.owner}")
    if reason := blocked(task):
        parts.append(f"blocked: {reason}" if task.status == Status.BLOCKED else reason)
    if lease := lease_left(task):
        parts.append(f"lease {lease}")
    return one_line(" · ".join(parts), 300)


def task_table(tasks: Sequence[TaskRead]) -> None:
    """The tasks as a table that fits the terminal (``no tasks`` when there are none)."""
    rows = [
        (
            str(t.number),
            f"P{t.priority}",
            t.status,
            t.title,
            t.tracker or "",
            t.team or "",
            t.owner or "",
            blocked(t),
            lease_left(t),
        )
        for t in tasks
    ]
    emit_table("Tasks", COLUMNS, rows)


def _numbers(numbers: Sequence[int]) -> str:
    return ", ".join(f"#{n}" for n in numbers)


def _lease(task: TaskRead) -> str:
    if task.lease_expires_at is None:
        return ""
    return f"{lease_left(task)} (until {when(task.lease_expires_at)} UTC)"


def _fields(task: TaskRead) -> list[tuple[str, str]]:
    fields = [
        ("status", task.status),
        ("priority", f"P{task.priority}"),
        ("tracker", task.tracker or "(shared)"),
        ("team", task.team or ""),
        ("owner", task.owner or ""),
        ("active form", task.active_form or ""),
        ("blocked", blocked(task) if task.status == Status.BLOCKED else ""),
        ("lease", _lease(task)),
        ("blocked by", _numbers(task.blocked_by)),
        ("still open", _numbers(task.open_blockers)),
        ("blocks", _numbers(task.blocks)),
        ("follow-up of", f"#{task.source}" if task.source else ""),
        ("outcome", task.outcome or ""),
        ("files", ", ".join(task.files)),
        ("verified", task.verified or ""),
        ("completed", when(task.completed_at)),
        ("created", f"{when(task.created_at)} by {task.created_by}"),
        ("updated", f"{when(task.updated_at)} (version {task.version})"),
    ]
    return [(name, value) for name, value in fields if value]


def task_panel(task: TaskRead, events: Sequence[EventRead] | None = None) -> None:
    """One task in full; with ``events``, its history below."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for name, value in _fields(task):
        grid.add_row(Text(name), Text(value))
    body: list[Table | Text] = [grid]
    if task.description:
        body += [Text(""), Text(task.description)]
    console = Console(highlight=False, soft_wrap=False)
    title = Text(f"#{task.number} {task.title}")
    console.print(Panel(Group(*body), title=title, title_align="left", expand=False))
    if events is not None:
        emit_table(
            "History",
            ("when", "who", "what", "details"),
            [(when(e.at), e.actor, e.kind, event_details(e.data)) for e in events],
        )


def _value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def event_details(data: dict[str, Any]) -> str:
    """``status: pending → in_progress; owner: - → backend; as=backend`` from an event's data."""
    parts = []
    changes = data.get("changes")
    if isinstance(changes, dict):
        for field, change in changes.items():
            if isinstance(change, list) and len(change) == 2:
                before, after = ("-" if v is None else _value(v) for v in change)
                parts.append(f"{field}: {before} → {after}")
    for key, value in data.items():
        if key != "changes" and value not in (None, [], {}, ""):
            parts.append(f"{key}={_value(value)}")
    return one_line("; ".join(parts))


def team_line(team: TeamRead) -> str:
    """``web · lead frontend · 3 members``."""
    lead = f" · lead {team.lead}" if team.lead else " · no lead"
    return f"{team.name}{lead} · {len(team.members)} member{'s' * (len(team.members) != 1)}"


def sent_line(message: MessageRead) -> str:
    """``sent message 12 to qa, reviewer`` (``#N`` is a task's, never a message's)."""
    to = ", ".join(message.recipients)
    extra = f" · request {message.request_id}" if message.request_id else ""
    kind = "" if message.kind == "message" else f" ({message.kind})"
    return f"sent message {message.id}{kind} to {to}{extra}"


def appended_line(entry: ChangelogRead) -> str:
    """``changelog entry 7 appended: <title>``."""
    return f"changelog entry {entry.id} appended: {entry.title}"


def event_line(event: dict[str, Any]) -> str:
    """``event <id> <time> <actor> <kind> <subject>`` for an event of the live stream."""
    return f"event {event['id']} {event['at']} {event['actor']} {event['kind']} {event['subject']}"


def inbox_line(message: dict[str, Any]) -> str:
    """``message <id> <time> <sender> <kind>: <body>`` for a message of one's inbox stream."""
    text = " ".join(str(message["body"] or message["summary"] or "").split())
    head = f"message {message['id']} {message['created_at']} {message['sender']}"
    return f"{head} {message['kind']}: {text}"
