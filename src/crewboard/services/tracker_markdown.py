"""An agent's tracker rendered as the seed protocol's markdown file (deterministic).

The tracker of agent X lists the tasks on X's tracker, and the shared (trackerless) tasks X
holds. Sections: Pending, In Progress, Blocked, Completed (newest first). Completed lines
keep the template's format: ``- **YYYY-MM-DD**: <summary>. Files: <list>. Verified: <how>.``
Markdown sync (writing ``.claude/trackers/<agent>-tracker.md``) reuses ``render_tracker``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from crewboard.models.tasks import Task
from crewboard.services.actor import Actor
from crewboard.services.errors import Invalid
from crewboard.services.projects import require_on_roster
from crewboard.services.task_rules import Status
from crewboard.services.tasks import TaskLinks, TaskService

SECTION_MAX = 200  # unfinished tasks shown per section; the rest are counted
COMPLETED_DEFAULT = 20


@dataclass(frozen=True, slots=True)
class TrackerView:
    """What a tracker shows: its tasks by section, their links, and what was left out."""

    agent: str
    pending: list[Task]
    in_progress: list[Task]
    blocked: list[Task]
    completed: list[Task]
    links: dict[int, TaskLinks]
    hidden: dict[str, int]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _sentence(text: str) -> str:
    text = _one_line(text).rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _line(task: Task, links: TaskLinks, agent: str) -> str:
    parts = [f"- #{task.number} {_one_line(task.title)} (P{task.priority})"]
    if task.owner and task.owner != agent:
        parts.append(f"owner: {task.owner}")
    if links.open_blockers:
        parts.append("waits on " + ", ".join(f"#{n}" for n in links.open_blockers))
    if links.source is not None:
        parts.append(f"follow-up of #{links.source}")
    return " — ".join(parts)


def _blocked_line(task: Task, links: TaskLinks, agent: str) -> str:
    line = _line(task, links, agent)
    reason = _sentence(task.blocked_reason or "no reason given")
    needs = f" Needs: {task.needs_agent}." if task.needs_agent else ""
    return f"{line} — Blocked: {reason}{needs}"


def _completed_line(task: Task) -> str:
    day = task.completed_at.date().isoformat() if task.completed_at else "unknown date"
    summary = _sentence(f"#{task.number} {_one_line(task.title)}: {task.outcome or 'done'}")
    files = ", ".join(task.files) if task.files else "none"
    verified = _sentence(task.verified) if task.verified else "not recorded."
    return f"- **{day}**: {summary} Files: {files}. Verified: {verified}"


def render_tracker(view: TrackerView) -> str:
    """The markdown of a tracker; the same view always gives the same text."""
    out = [f"# {view.agent} tracker", ""]
    sections: Sequence[tuple[str, str, list[Task]]] = (
        ("Pending", "pending", view.pending),
        ("In Progress", "in_progress", view.in_progress),
        ("Blocked", "blocked", view.blocked),
        ("Completed", "completed", view.completed),
    )
    for title, key, tasks in sections:
        out.append(f"## {title}")
        out.append("")
        for task in tasks:
            links = view.links[task.id]
            if key == "blocked":
                out.append(_blocked_line(task, links, view.agent))
            elif key == "completed":
                out.append(_completed_line(task))
            else:
                out.append(_line(task, links, view.agent))
        if not tasks:
            out.append("_none_")
        if view.hidden.get(key):
            older = " older" if key == "completed" else ""
            out.append(f"- … and {view.hidden[key]}{older} more not shown")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


class TrackerService(TaskService):
    """Read an agent's tracker."""

    async def view(
        self, actor: Actor, slug: str, agent: str | None = None, *,
        completed: int = COMPLETED_DEFAULT,
    ) -> TrackerView:  # fmt: skip
        """The tracker of ``agent`` (default: the acting agent's own)."""
        access = await self.projects.access(actor, slug)
        agent = agent or access.agent_name
        if agent is None:
            raise Invalid("name the agent whose tracker to read", field="agent")
        if not 0 <= completed <= SECTION_MAX:
            raise Invalid(f"completed is 0 to {SECTION_MAX}", field="completed")
        await require_on_roster(self.session, access.project, agent, "agent")
        mine = (Task.project_id == access.project.id) & (
            (Task.tracker == agent) | (Task.tracker.is_(None) & (Task.owner == agent))
        )
        hidden: dict[str, int] = {}
        sections: dict[str, list[Task]] = {}
        for status in (Status.PENDING, Status.IN_PROGRESS, Status.BLOCKED, Status.COMPLETED):
            where = mine & (Task.status == status.value)
            query = select(Task).where(where)
            if status == Status.PENDING:
                query = query.order_by(Task.priority, Task.number)
            elif status == Status.COMPLETED:
                query = query.order_by(Task.completed_at.desc(), Task.number.desc())
            else:
                query = query.order_by(Task.number)
            cap = completed if status == Status.COMPLETED else SECTION_MAX
            rows = list((await self.session.scalars(query.limit(cap))).all())
            sections[status.value] = rows
            if len(rows) == cap:
                total = await self.session.scalar(
                    select(func.count()).select_from(Task).where(where)
                )
                if total and total > cap:
                    hidden[status.value] = int(total) - cap
        every = [t for rows in sections.values() for t in rows]
        return TrackerView(
            agent=agent, pending=sections["pending"], in_progress=sections["in_progress"],
            blocked=sections["blocked"], completed=sections["completed"],
            links=await self.links(every), hidden=hidden,
        )  # fmt: skip

    async def markdown(
        self, actor: Actor, slug: str, agent: str | None = None, *,
        completed: int = COMPLETED_DEFAULT,
    ) -> str:  # fmt: skip
        """The tracker as markdown."""
        return render_tracker(await self.view(actor, slug, agent, completed=completed))
