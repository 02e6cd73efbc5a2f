"""``crewboard connect``'s files: the MCP entry in ``.mcp.json`` and the hooks in
``.claude/settings.json``, merged into what is there, and the originals kept for ``--undo``.

Nothing here talks to a server or a database. Each file is read and written through
``read_repo_bytes`` and ``write_repo_file``: a regular file (never through a symlink, the
file's or a folder's on the way, never a FIFO or a device) of at most ``FILE_MAX`` bytes,
holding a JSON object; anything else is refused with the file's name and nothing is
written. A file connect rewrites keeps its permissions (a ``.mcp.json`` kept 0600 for
another server's secret stays 0600). The originals' bytes (or their absence) go to
``.claude/crewboard/connect.json`` (0600, in a folder git ignores, since another MCP
server's entry may hold a secret) the first time, so running again changes nothing and
``--undo`` restores them byte for byte.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from crewboard.services.core import (
    Invalid,
    NotFound,
    check_agent_name,
    list_repo_dir,
    make_repo_dirs,
    read_repo_bytes,
    remove_repo_file,
    repo_file_mode,
    write_repo_file,
)
from crewboard.services.interop.repo.files import AGENTS_DIR, domain_of

MCP_FILE = ".mcp.json"
SETTINGS_FILE = ".claude/settings.json"
STATE_DIR = ".claude/crewboard"
BACKUP_FILE = f"{STATE_DIR}/connect.json"
CONNECT_BACKUP = BACKUP_FILE
FILE_MAX = 1_000_000
SERVER_NAME = "crewboard"
TOKEN_VARIABLE = "CREWBOARD_TOKEN"  # noqa: S105 (the name of a variable, not a secret)
# Claude Code hook events and the crewboard command each runs (docs/claude-code.md).
AGENT_FILES_MAX = 200
AGENT_FILE = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}\.md")
PROTOCOL_HEADING = "## Tracker & Team Protocol (crewboard)"
HOOKS: tuple[tuple[str, str | None, str], ...] = (
    ("TaskCompleted", None, "crewboard hook task-completed"),
    ("PreToolUse", f"mcp__{SERVER_NAME}__TaskUpdate", "crewboard hook task-completed"),
    ("TeammateIdle", None, "crewboard hook teammate-idle"),
    ("SessionStart", None, "crewboard hook session-start"),
)


class ConnectError(Invalid):
    """A file connect will not read or change."""

    code = "repo-format"


@dataclass(frozen=True, slots=True)
class Change:
    """One file's new text, and whether it differs from what is there."""

    path: str
    text: str
    changed: bool


def read_regular(root: Path, relative: str) -> bytes | None:
    """A file's bytes, None when it does not exist; refused when it is a symlink (or under
    one), not a regular file, or larger than ``FILE_MAX``."""
    try:
        return read_repo_bytes(root, relative, FILE_MAX)
    except OSError as exc:
        raise ConnectError(f"{relative}: cannot read it: {exc.strerror or exc}") from exc


def _object(relative: str, raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConnectError(f"{relative} is not valid JSON ({exc}); fix it, then connect") from exc
    if not isinstance(data, dict):
        raise ConnectError(f"{relative} holds no JSON object")
    return data


def _dumped(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def mcp_entry(url: str, *, stdio: bool) -> dict[str, Any]:
    """The MCP server entry: the token stays in the environment (``${CREWBOARD_TOKEN}``, which
    Claude Code expands), never in the file."""
    if stdio:
        env = {"CREWBOARD_URL": url, TOKEN_VARIABLE: f"${{{TOKEN_VARIABLE}}}"}
        return {"command": "crewboard", "args": ["mcp"], "env": env}
    return {
        "type": "http",
        "url": f"{url.rstrip('/')}/mcp",
        "headers": {"Authorization": f"Bearer ${{{TOKEN_VARIABLE}}}"},
    }


def merged_mcp(raw: bytes | None, entry: dict[str, Any]) -> str:
    """``.mcp.json`` with crewboard's entry set and every other server kept as it was."""
    data = _object(MCP_FILE, raw)
    servers = data.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConnectError(f"{MCP_FILE}: mcpServers is not an object")
    servers[SERVER_NAME] = entry
    return _dumped(data)


def merged_settings(raw: bytes | None) -> str:
    """``.claude/settings.json`` with crewboard's hooks added once (other hooks and settings
    kept; a hook already there is not added again)."""
    data = _object(SETTINGS_FILE, raw)
    hooks = data.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise ConnectError(f"{SETTINGS_FILE}: hooks is not an object")
    for event, matcher, command in HOOKS:
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise ConnectError(f"{SETTINGS_FILE}: hooks.{event} is not a list")
        if any(_runs(group, command, matcher) for group in groups):
            continue
        group: dict[str, Any] = {"hooks": [{"type": "command", "command": command}]}
        if matcher is not None:
            group = {"matcher": matcher, **group}
        groups.append(group)
    return _dumped(data)


def _runs(group: object, command: str, matcher: str | None) -> bool:
    if not isinstance(group, dict) or group.get("matcher") != matcher:
        return False
    found = group.get("hooks")
    return isinstance(found, list) and any(
        isinstance(h, dict) and h.get("command") == command for h in found
    )


def protocol_section() -> str:
    """The protocol section for agent files (the one docs/agents.md shows)."""
    return files("crewboard.services.interop.repo").joinpath("protocol.md").read_text("utf-8")


def with_protocol(text: str) -> str:
    """An agent file with the protocol section appended once (kept if already there)."""
    section = protocol_section()
    if PROTOCOL_HEADING in text:
        return text
    return text.rstrip("\n") + "\n\n" + section if text.strip() else section


def plan_connect(root: Path, url: str, *, stdio: bool, protocol: bool = False) -> list[Change]:
    """The files connect writes, as they will be (refused before anything is written);
    with ``protocol``, each agent file gains the protocol section."""
    if list_repo_dir(root, ".claude") is None:
        raise NotFound(f"no .claude folder in {root}: run connect at a repository's top")
    changes = []
    for relative, make in (
        (MCP_FILE, lambda raw: merged_mcp(raw, mcp_entry(url, stdio=stdio))),
        (SETTINGS_FILE, merged_settings),
    ):
        raw = read_regular(root, relative)
        text = make(raw)
        changes.append(Change(relative, text, raw is None or raw != text.encode("utf-8")))
    if protocol:
        for relative, text in _agent_texts(root):
            added = with_protocol(text)
            changes.append(Change(relative, added, added != text))
    return changes


def apply_connect(root: Path, changes: list[Change]) -> None:
    """Keep each file's original the first time connect touches it, then write the files
    that change."""
    raw = read_regular(root, BACKUP_FILE)
    saved = _object(BACKUP_FILE, raw).get("files", {}) if raw is not None else {}
    if not isinstance(saved, dict):
        raise ConnectError(f"{BACKUP_FILE} is damaged; restore the files by hand")
    fresh = {c.path: _kept(root, c.path) for c in changes if c.path not in saved}
    if raw is None or fresh:
        make_repo_dirs(root, STATE_DIR)
        write_repo_file(root, f"{STATE_DIR}/.gitignore", "*\n", mode=0o644)
        backup = {"version": 1, "files": {**saved, **fresh}}
        write_repo_file(root, BACKUP_FILE, _dumped(backup), mode=0o600)
    for change in changes:
        if change.changed:
            write_repo_file(root, change.path, change.text, new_mode=0o644)


def _kept(root: Path, relative: str) -> dict[str, Any] | None:
    """A file's bytes and permissions as the backup keeps them (None: it did not exist)."""
    raw = read_regular(root, relative)
    if raw is None:
        return None
    mode = repo_file_mode(root, relative)
    return {"bytes": base64.b64encode(raw).decode("ascii"), "mode": mode}


def undo_connect(root: Path) -> list[str]:
    """Put every file connect changed back as it was (deleting those it created), then drop
    the backup; returns the files restored."""
    raw = read_regular(root, BACKUP_FILE)
    if raw is None:
        raise NotFound("nothing to undo: connect has not run here (no .claude/crewboard)")
    saved = _object(BACKUP_FILE, raw).get("files")
    if not isinstance(saved, dict):
        raise ConnectError(f"{BACKUP_FILE} is damaged; restore the files by hand")
    restored = []
    for relative, kept in saved.items():
        if not _connect_writes(relative):
            raise ConnectError(f"{BACKUP_FILE} names {relative!r}, not a file connect writes")
        read_regular(root, relative)  # refuses a link planted since
        if kept is None:
            remove_repo_file(root, relative)
        elif isinstance(kept, dict) and isinstance(kept.get("mode"), int):
            original = base64.b64decode(str(kept.get("bytes", "")), validate=True)
            _write_bytes(root, relative, original, kept["mode"] & 0o777)
        else:
            raise ConnectError(f"{BACKUP_FILE} is damaged; restore the files by hand")
        restored.append(relative)
    remove_repo_file(root, BACKUP_FILE)
    remove_repo_file(root, f"{STATE_DIR}/.gitignore")
    if read_listing(root, STATE_DIR) == []:
        (root / STATE_DIR).rmdir()  # checked above: a folder, no link on the way
    return restored


def _connect_writes(relative: str) -> bool:
    """Whether connect writes this path (the backup names nothing else)."""
    if relative in (MCP_FILE, SETTINGS_FILE):
        return True
    folder, _, name = relative.rpartition("/")
    return folder == AGENTS_DIR and name.endswith(".md") and AGENT_FILE.fullmatch(name) is not None


def _write_bytes(root: Path, relative: str, data: bytes, mode: int) -> None:
    """Bytes and permissions back in place, exactly, in one rename (no link followed)."""
    write_repo_file(root, relative, data, mode=mode)


def _agent_texts(root: Path) -> list[tuple[str, str]]:
    """(path, text) of each agent file, read as regular files only (links refused)."""
    names = read_listing(root, AGENTS_DIR)
    found = []
    for name in [n for n in names if n.endswith(".md")][:AGENT_FILES_MAX]:
        relative = f"{AGENTS_DIR}/{name}"
        raw = read_regular(root, relative)
        if raw is None:
            continue
        try:
            check_agent_name(name.removesuffix(".md"))
            text = raw.decode("utf-8")
        except (Invalid, UnicodeDecodeError) as exc:
            raise ConnectError(f"{relative}: not an agent file connect can read ({exc})") from exc
        found.append((relative, text))
    return found


def read_listing(root: Path, relative: str) -> list[str]:
    """The names in a folder (none when it does not exist); a linked folder is refused."""
    try:
        return list_repo_dir(root, relative) or []
    except OSError as exc:
        raise ConnectError(f"{relative}: cannot list it: {exc.strerror or exc}") from exc


def read_agent_files(root: Path) -> list[tuple[str, str]]:
    """(name, domain) of each agent file, read as regular files only (links refused)."""
    return [
        (relative.rpartition("/")[2].removesuffix(".md"), domain_of(text))
        for relative, text in _agent_texts(root)
    ]
