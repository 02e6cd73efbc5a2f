"""What the markdown files hold, as plain values: no database, no I/O.

A tracker is a ``TrackerDoc`` of ``TrackerTask`` s; a changelog is a ``ChangelogDoc`` of
``ChangelogRecord`` s. Each field holds what the file shows: a field a section does not show
(the priority of a completed task, say) is ``None`` or empty there. Parsing gives the same
values back, plus a report of every line it could not read (``Unparsed``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from crewboard.services.markdown.changelog_style import ChangelogStyle
from crewboard.services.markdown.sections import (
    BLOCKED,
    COMPLETED,
    IN_PROGRESS,
    PENDING,
    SECTIONS,
    STATUSES,
)
from crewboard.services.markdown.tracker_style import TrackerStyle

# Under a task's metadata key of the file it came from (``init``, ``sync``): its line(s) as the
# file wrote them, which the tracker shows again verbatim while they still read the same.
SOURCE_TEXT = "text"

__all__ = ["BLOCKED", "COMPLETED", "IN_PROGRESS", "PENDING", "SECTIONS", "STATUSES"]


def _frozen(counts: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType({k: v for k, v in counts.items() if v})


@dataclass(frozen=True, slots=True)
class TrackerTask:
    """One line of a tracker. ``number`` and ``priority`` may be missing on hand-written lines."""

    status: str
    title: str
    number: int | None = None
    priority: int | None = None
    owner: str | None = None
    waits_on: tuple[int, ...] = ()
    follow_up_of: int | None = None
    blocked_reason: str | None = None
    needs_agent: str | None = None
    completed_on: date | None = None
    outcome: str | None = None
    files: tuple[str, ...] = ()
    verified: str | None = None
    # The line(s) as a file wrote them, without crewboard's id: rendered again verbatim while
    # they still read as this task, so a line keeps its author's words (docs/markdown.md).
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"a tracker shows no {self.status!r} tasks")


@dataclass(frozen=True, slots=True)
class TrackerDoc:
    """An agent's tracker; ``hidden`` counts the tasks of a section left out of the file."""

    project: str
    agent: str
    tasks: tuple[TrackerTask, ...]
    hidden: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", _frozen(self.hidden))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TrackerDoc):
            return NotImplemented
        return (self.project, self.agent, self.tasks, dict(self.hidden)) == (
            other.project,
            other.agent,
            other.tasks,
            dict(other.hidden),
        )

    def __hash__(self) -> int:
        return hash((self.project, self.agent, self.tasks, tuple(sorted(self.hidden.items()))))


@dataclass(frozen=True, slots=True)
class ChangelogRecord:
    """One changelog entry. ``entry_id`` is missing on hand-written entries."""

    title: str
    agent: str | None
    day: date | None
    problem: str
    fix: str
    files: tuple[str, ...]
    verification: str
    tasks: tuple[int, ...] = ()
    entry_id: int | None = None
    # The entry as the file wrote it, without crewboard's id (see ``TrackerTask.source``).
    source: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class ChangelogDoc:
    """A project's changelog, oldest entry first."""

    project: str
    entries: tuple[ChangelogRecord, ...]


@dataclass(frozen=True, slots=True)
class Header:
    """The machine-readable comment under a file's title."""

    project: str
    agent: str | None
    version: str


@dataclass(frozen=True, slots=True)
class Unparsed:
    """A line the parser could not read, with why; nothing is dropped silently."""

    line: int  # 1-based
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedTask:
    """A task read from a tracker, where it was, and its checkbox (``None``: none)."""

    line: int
    task: TrackerTask
    checked: bool | None = None


@dataclass(frozen=True, slots=True)
class ParsedTracker:
    """What a tracker file says. ``edited``: the body no longer matches the header's version."""

    header: Header | None
    items: tuple[ParsedTask, ...]
    hidden: Mapping[str, int]
    unparsed: tuple[Unparsed, ...]
    edited: bool
    style: TrackerStyle = field(default_factory=TrackerStyle)  # how the file is written

    def doc(self, project: str = "", agent: str = "") -> TrackerDoc:
        """The tracker as a document (project and agent from the header when it has one)."""
        if self.header is not None:
            project, agent = self.header.project, self.header.agent or agent
        return TrackerDoc(project, agent, tuple(i.task for i in self.items), self.hidden)


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """A changelog entry read from a file, and the line its heading is on."""

    line: int
    record: ChangelogRecord


@dataclass(frozen=True, slots=True)
class ParsedChangelog:
    """What a changelog file says, and what could not be read."""

    header: Header | None
    entries: tuple[ParsedEntry, ...]
    unparsed: tuple[Unparsed, ...]
    edited: bool
    style: ChangelogStyle = field(default_factory=ChangelogStyle)  # how the file is written

    def doc(self, project: str = "") -> ChangelogDoc:
        """The changelog as a document (the project from the header when it has one)."""
        if self.header is not None:
            project = self.header.project
        return ChangelogDoc(project, tuple(e.record for e in self.entries))
