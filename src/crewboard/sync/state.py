"""What ``crewboard sync`` remembers between runs, and how it writes files safely.

The state (``.claude/.crewboard-sync.json``) holds, per file, the text crewboard last wrote
there and the version of each task that text showed. A local file that differs from that
text was edited by hand; a task whose version moved was changed on the server. Every write
is a temporary file in the same folder renamed over the target, so a crash leaves either the
old or the new file, never half of one. Every read and write goes through the safe file
functions of ``services.core``: a symbolic link (a file's, or a folder's on the way, such as
``.claude/trackers -> elsewhere``), a FIFO or a device is refused, never followed, and a file
over ``REPO_FILE_MAX`` bytes is not read. The state is written owner-only (0600).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from crewboard.client.errors import BAD_REQUEST, ClientError
from crewboard.services.core import read_repo_file, write_repo_file

STATE_FILE = ".claude/.crewboard-sync.json"
REPORT_FILE = ".claude/crewboard-conflicts.md"
CHANGELOG_FILE = ".claude/CHANGELOG.md"
FORMAT = 1


@dataclass
class FileState:
    """The text crewboard last wrote to one file and the task versions it showed.

    ``previous`` is the file's text before a write under way: a run that stopped between
    saving the state and writing the file finds it there, unedited.
    """

    text: str
    versions: dict[int, int] = field(default_factory=dict)
    previous: str | None = None
    block: list[str] = field(default_factory=list)  # the refused-lines block at the file's end


@dataclass
class SyncState:
    """The state of one repository's sync with one project."""

    project: str
    files: dict[str, FileState] = field(default_factory=dict)

    def to_json(self) -> str:
        files = {
            path: {
                "text": f.text,
                "versions": {str(n): v for n, v in sorted(f.versions.items())},
                "previous": f.previous,
                "block": f.block,
            }
            for path, f in sorted(self.files.items())
        }
        return json.dumps({"format": FORMAT, "project": self.project, "files": files}, indent=1)


def load_state(repo: Path, project: str) -> SyncState:
    """The stored state, or an empty one; a state of another project is refused."""
    path = repo / STATE_FILE
    try:
        text = read_repo_file(repo, STATE_FILE)
        if text is None:
            return SyncState(project)
        raw = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ClientError(f"cannot read the sync state {path}: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ClientError(f"the sync state {path} is not one this crewboard writes; remove it")
    if raw.get("project") != project:
        raise ClientError(
            f"{repo} is synced with project {raw.get('project')!r}, not {project!r} "
            f"(remove {STATE_FILE} to sync it with another)",
            BAD_REQUEST,
        )
    files: dict[str, FileState] = {}
    try:
        for name, entry in dict(raw.get("files") or {}).items():
            versions = {int(n): int(v) for n, v in dict(entry["versions"]).items()}
            previous = entry.get("previous")
            block = [str(line) for line in list(entry.get("block") or [])]
            files[str(name)] = FileState(
                str(entry["text"]), versions, None if previous is None else str(previous), block
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise ClientError(f"the sync state {path} is damaged ({exc}); remove it") from exc
    return SyncState(project, files)


def save_state(repo: Path, state: SyncState) -> None:
    """Write the state atomically, owner-only."""
    write_repo_file(repo, STATE_FILE, state.to_json() + "\n", mode=0o600)


def read_text(repo: Path, relative: str) -> str | None:
    """A file's text as it is on disk (line ends kept), or None when it does not exist;
    a link, a non-regular file, a file too large or not UTF-8 is refused (``UnsafeFile``)."""
    try:
        return read_repo_file(repo, relative)
    except OSError as exc:
        raise ClientError(f"cannot read {repo / relative}: {exc}") from exc
