"""Reading a Claude Code team from ``~/.claude`` and writing one back, file by file.

Writes follow Claude Code's conventions: a ``<file>.lock`` directory is held (``mkdir`` is
atomic) while a file is written, and the file is replaced atomically (a temporary file in the
same folder, then ``os.replace``), so a Claude Code process never reads half a file.

Below the Claude folder (which may itself be reached through a link) nothing follows a
symbolic link: files are read and written with ``read_repo_file`` and ``write_repo_file``, so
a link, a FIFO, a device or a file over ``CLAUDE_FILE_MAX`` bytes is refused, naming it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from crewboard.services.core import (
    Conflict,
    NotFound,
    check_team_name,
    list_repo_dir,
    make_repo_dirs,
    read_repo_file,
    write_repo_file,
)
from crewboard.services.interop.claude.formats import (
    ClaudeFormatError,
    ConfigFile,
    InboxEntryFile,
    TaskFile,
    agent_value,
    dump_json,
    id_order,
    load_json,
    validate,
)

logger = logging.getLogger(__name__)

CONFIG_DIR_ENV = "CLAUDE_CONFIG_DIR"  # Claude Code's own override of ~/.claude
_TASK_FILE = re.compile(r"^(\d+)\.json$")
_INBOX_FILE = re.compile(r"^([^.].*)\.json$")
LOCK_POLL_SECONDS = 0.05

CLAUDE_FILE_MODE = 0o644  # as Claude Code writes its team files (readable by the user's tools)
CLAUDE_FILE_MAX = 8 * 1024 * 1024  # bytes of one team file read (an inbox grows the most)


def default_claude_dir() -> Path:
    """``$CLAUDE_CONFIG_DIR``, else ``~/.claude`` (resolved when called, never at import)."""
    configured = os.environ.get(CONFIG_DIR_ENV, "").strip()
    return Path(configured).expanduser() if configured else Path.home() / ".claude"


@dataclass(frozen=True, slots=True)
class TeamBundle:
    """One Claude Code team as read from disk (``where``: paths relative to the folder)."""

    name: str
    config: ConfigFile
    tasks: list[tuple[str, TaskFile]] = field(default_factory=list)
    inboxes: dict[str, list[tuple[str, InboxEntryFile]]] = field(default_factory=dict)


def team_paths(name: str) -> tuple[str, str, str]:
    """The team's config file, task folder and inbox folder, relative to the Claude folder."""
    return f"teams/{name}/config.json", f"tasks/{name}", f"teams/{name}/inboxes"


def _text(root: Path, relative: str) -> str | None:
    try:
        return read_repo_file(root, relative, CLAUDE_FILE_MAX)
    except OSError as exc:
        raise_format(relative, f"cannot read it: {exc.strerror or exc}")


def _read(root: Path, relative: str) -> object:
    text = _text(root, relative)
    if text is None:
        raise_format(relative, "went away while being read")
    return load_json(text, relative)


def _names(root: Path, relative: str) -> list[str]:
    try:
        return list_repo_dir(root, relative) or []
    except OSError as exc:
        raise_format(relative, f"cannot list it: {exc.strerror or exc}")


def read_team(root: Path, name: str) -> TeamBundle:
    """Read and check every file of team ``name`` under ``root``; nothing half-read."""
    check_team_name(name)
    config_path, tasks_dir, inbox_dir = team_paths(name)
    text = _text(root, config_path)
    if text is None:
        raise NotFound(f"no Claude Code team {name} in {root}: {config_path} does not exist")
    config = validate(ConfigFile, load_json(text, config_path), config_path)
    tasks: list[tuple[str, TaskFile]] = []
    for entry in sorted(_names(root, tasks_dir), key=lambda n: id_order(Path(n).stem)):
        where = f"{tasks_dir}/{entry}"
        match = _TASK_FILE.match(entry)
        if match is None:
            if not entry.startswith("."):
                logger.warning("%s: not a task file (N.json); left out", where)
            continue
        task = validate(TaskFile, _read(root, where), where)
        if task.id != match.group(1):
            raise_format(where, f"id: {task.id!r} does not match the file name")
        tasks.append((where, task))
    inboxes: dict[str, list[tuple[str, InboxEntryFile]]] = {}
    for entry in _names(root, inbox_dir):
        inbox = _INBOX_FILE.match(entry)
        if inbox is None:
            continue  # lock directories
        where = f"{inbox_dir}/{entry}"
        raw = _read(root, where)
        if not isinstance(raw, list):
            raise_format(where, "(top level): an inbox is a JSON array of messages")
        entries = [
            (f"{where}[{i}]", validate(InboxEntryFile, item, f"{where}[{i}]"))
            for i, item in enumerate(raw)
        ]
        recipient = validate_inbox_owner(inbox.group(1), where)
        inboxes[recipient] = entries
    return TeamBundle(name, config, tasks, inboxes)


def validate_inbox_owner(stem: str, where: str) -> str:
    """The agent an inbox file belongs to (its file name)."""
    try:
        agent_value(stem)
    except ValueError as exc:
        raise_format(where, f"file name: {exc}")
    return stem


def raise_format(where: str, problem: str) -> NoReturn:
    """Raise the one-line format error naming the file."""
    raise ClaudeFormatError(f"{where}: {problem}")


# -- writing --------------------------------------------------------------------------------


class LockTimeout(Conflict):
    """A ``<file>.lock`` directory stayed in place longer than we wait."""

    code = "locked"


@contextlib.contextmanager
def held_locks(paths: list[Path], timeout: float) -> Iterator[None]:
    """Hold ``<path>.lock`` for every path (taken in a fixed order, released in any case)."""
    taken: list[Path] = []
    try:
        for path in sorted(paths):
            lock = path.with_name(path.name + ".lock")
            _acquire(lock, timeout)
            taken.append(lock)
        yield
    finally:
        for lock in reversed(taken):
            try:
                lock.rmdir()
            except OSError as exc:  # someone removed it under us: say so, keep releasing
                logger.warning("could not remove the lock %s: %s", lock, exc)


def _acquire(lock: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            lock.mkdir()
            return
        except FileExistsError:
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    f"{lock} is held by another process (waited {timeout:g}s); if no Claude "
                    "Code session uses this team, remove that directory and retry"
                ) from None
            time.sleep(LOCK_POLL_SECONDS)


def write_files(root: Path, files: Mapping[str, object], *, lock_timeout: float) -> list[str]:
    """Write every file (relative path → JSON data) under ``root``.

    Every lock is taken before the first write, so a lock that does not come free leaves
    every file as it was. Returns the paths written, in order.
    """
    targets = {relative: root / relative for relative in files}
    for relative in targets:
        folder = relative.rpartition("/")[0]
        if folder:
            make_repo_dirs(root, folder)  # refuses a link on the way
    with held_locks(list(targets.values()), lock_timeout):
        for relative in targets:
            write_repo_file(root, relative, dump_json(files[relative]), mode=CLAUDE_FILE_MODE)
    return list(targets)
