"""Reading a repository's ``.claude/`` folder for ``crewboard init``: no database.

``read_repo`` reads the agent files (``agents/*.md``: the name from the file name, the domain
from the front matter's ``description``, else the first paragraph, else the first heading),
the trackers (``trackers/<agent>-tracker.md``) and ``CHANGELOG.md``, and parses the markdown
with the tolerant parsers. A file it cannot read, or a file name that is not a valid agent
name, is an error naming the file: nothing is half-read. Files are read through
``read_repo_file``: a symbolic link (the file, or a folder on the way), a FIFO, a device or a
file over ``REPO_FILE_MAX`` bytes is refused, never followed. Rules: docs/init.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from crewboard.services.core import (
    DOMAIN_MAX,
    Invalid,
    NotFound,
    UnsafeFile,
    check_agent_name,
    list_repo_dir,
    read_repo_file,
)
from crewboard.services.markdown import (
    HEADING,
    ParsedChangelog,
    ParsedTracker,
    Unparsed,
    lines_of,
    parse_changelog,
    parse_tracker,
)

CLAUDE_DIR = ".claude"
AGENTS_DIR = f"{CLAUDE_DIR}/agents"
TRACKERS_DIR = f"{CLAUDE_DIR}/trackers"
CHANGELOG = f"{CLAUDE_DIR}/CHANGELOG.md"
TRACKER_SUFFIX = "-tracker.md"
_FRONT_KEY = re.compile(r"([A-Za-z_][\w-]*)\s*:\s*(.*)")
T = TypeVar("T")
_HIDDEN = re.compile(r"\s*_… and (\d{1,9}) more not shown_\s*")


class RepoFormatError(Invalid):
    """A file of ``.claude/`` that ``init`` cannot read; the message names the file."""

    code = "repo-format"


@dataclass(frozen=True, slots=True)
class AgentFile:
    """One agent definition: its roster name and domain, and where it was read."""

    path: str
    name: str
    domain: str


@dataclass(frozen=True, slots=True)
class TrackerFile:
    """One agent's tracker as parsed, with its raw lines (for the report)."""

    path: str
    agent: str
    parsed: ParsedTracker
    lines: list[str]


@dataclass(frozen=True, slots=True)
class FileNote:
    """A line of a file (0: the file itself) that is reported, not imported."""

    path: str
    line: int
    text: str
    reason: str


@dataclass(slots=True)
class RepoFiles:
    """Everything ``init`` reads from one repository (paths relative to the repository)."""

    root: Path
    agents: list[AgentFile] = field(default_factory=list)
    trackers: list[TrackerFile] = field(default_factory=list)
    changelog: ParsedChangelog | None = None
    notes: list[FileNote] = field(default_factory=list)


def read_text(root: Path, relative: str) -> str:
    """A file's text as UTF-8, read safely; any failure is an error naming the file."""
    text = _safely(read_repo_file, root, relative)
    if text is None:
        raise RepoFormatError(f"{relative}: cannot read it: it went away")
    return text


def _safely(read: Callable[[Path, str], T], root: Path, relative: str) -> T:
    """``read(root, relative)``; a refusal or an OS error is a ``RepoFormatError``."""
    try:
        return read(root, relative)
    except UnsafeFile as exc:
        raise RepoFormatError(exc.message, field="path") from exc
    except OSError as exc:
        raise RepoFormatError(f"{relative}: cannot read it: {exc.strerror or exc}") from exc


def _listing(root: Path, relative: str) -> list[str]:
    return _safely(list_repo_dir, root, relative) or []


def _name(relative: str, name: str) -> str:
    try:
        return check_agent_name(name)
    except Invalid as exc:
        raise RepoFormatError(
            f"{relative}: {name!r} is not a valid agent name ({exc.message})", field="agent_name"
        ) from exc


def _scalar(value: str, block: list[str]) -> str:
    """A front-matter value: quoted (JSON-style or single quotes), a ``|``/``>`` block, or
    plain text folded with its indented continuation lines."""
    value = value.strip()
    if value[:1] in ("|", ">") and not value[1:].strip("+-"):
        joiner = "\n" if value[0] == "|" else " "
        return joiner.join(line.strip() for line in block).strip()
    text = " ".join([value, *(line.strip() for line in block)]).strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError:
            return text[1:-1]  # YAML escapes JSON lacks: keep the text as written
        return decoded if isinstance(decoded, str) else text
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    return text


def front_matter(lines: list[str]) -> tuple[dict[str, str], int]:
    """The top-level ``key: value`` pairs of a ``---`` front matter, and the index of the
    first line after it (0 without one). Only the simple YAML subset agent files use."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        return {}, 0
    values: dict[str, str] = {}
    key: str | None = None
    raw, block = "", []
    for line in [*lines[1:end], "end: "]:  # a sentinel key closes the last value
        found = _FRONT_KEY.fullmatch(line) if line[:1] not in (" ", "\t") else None
        if found is None:
            block.append(line)
            continue
        if key is not None:
            values[key] = _scalar(raw, block)
        key, raw, block = found.group(1).lower(), found.group(2), []
    return values, end + 1


def domain_of(text: str) -> str:
    """What an agent works on: ``description`` from the front matter, else the first
    paragraph, else the first heading; whitespace collapsed, at most DOMAIN_MAX characters."""
    lines = lines_of(text)
    values, start = front_matter(lines)
    found = values.get("description", "")
    heading, paragraph = "", list[str]()
    for line in lines[start:]:
        match = HEADING.fullmatch(line.rstrip())
        if match is not None:
            if paragraph:
                break
            heading = heading or (match.group(2) or "")
        elif line.strip():
            paragraph.append(line.strip())
        elif paragraph:
            break
    found = found or " ".join(paragraph) or heading
    clean = " ".join("".join(ch if ch.isprintable() else " " for ch in found).split())
    return clean if len(clean) <= DOMAIN_MAX else clean[: DOMAIN_MAX - 1] + "…"


def _hidden_notes(relative: str, lines: list[str]) -> list[FileNote]:
    """``_… and N more not shown_`` lines: tasks the file leaves out cannot be imported."""
    return [
        FileNote(
            relative,
            index + 1,
            line,
            f"{found.group(1)} tasks are not in the file, so they cannot be imported",
        )
        for index, line in enumerate(lines)
        if (found := _HIDDEN.fullmatch(line))
    ]


def read_repo(root: Path) -> RepoFiles:
    """Read and parse ``root/.claude``; a missing folder is ``NotFound``."""
    if _safely(list_repo_dir, root, CLAUDE_DIR) is None:
        raise NotFound(f"no {CLAUDE_DIR} folder in {root}")
    files = RepoFiles(root)
    for entry in _listing(root, AGENTS_DIR):
        if not entry.endswith(".md"):
            continue
        relative = f"{AGENTS_DIR}/{entry}"
        name = _name(relative, entry.removesuffix(".md"))
        files.agents.append(AgentFile(relative, name, domain_of(read_text(root, relative))))
    for entry in _listing(root, TRACKERS_DIR):
        relative = f"{TRACKERS_DIR}/{entry}"
        if not entry.endswith(TRACKER_SUFFIX):
            reason = f"not a tracker (<agent>{TRACKER_SUFFIX}); not read"
            files.notes.append(FileNote(relative, 0, entry, reason))
            continue
        agent = _name(relative, entry.removesuffix(TRACKER_SUFFIX))
        text = read_text(root, relative)
        lines = lines_of(text)
        files.trackers.append(TrackerFile(relative, agent, parse_tracker(text), lines))
        files.notes += _hidden_notes(relative, lines)
    changelog = _safely(read_repo_file, root, CHANGELOG)
    if changelog is not None:
        files.changelog = parse_changelog(changelog)
    return files


def notes_of(path: str, unparsed: tuple[Unparsed, ...]) -> list[FileNote]:
    """A parser's report, as notes naming the file."""
    return [FileNote(path, u.line, u.text, u.reason) for u in unparsed]


def slug_for(folder: str) -> str:
    """A project slug from a folder name (``My Shop`` → ``my-shop``); empty if none fits."""
    slug = re.sub(r"[^a-z0-9]+", "-", folder.lower()).strip("-")
    return slug[:64].rstrip("-")
