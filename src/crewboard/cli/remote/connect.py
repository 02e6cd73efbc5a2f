"""``crewboard connect``: wire a repository's Claude Code crew to crewboard in one command.

Registers the roster from ``.claude/agents/*.md`` (agents already on it are left alone),
writes the crewboard MCP server into ``.mcp.json`` and the protocol's hooks into
``.claude/settings.json`` (merged into what is there), keeping the originals for
``--undo``. No token is written into a file: the entries read ``$CREWBOARD_TOKEN``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crewboard.cli.output import emit_line
from crewboard.cli.remote.connection import ProjectOption
from crewboard.client.project import connect as connect_to
from crewboard.services.interop.repo import (
    CONNECT_BACKUP,
    apply_connect,
    plan_connect,
    read_agent_files,
    undo_connect,
)


def connect(
    repo: Annotated[
        Path, typer.Option("--repo", metavar="PATH", help="The repository's top folder.")
    ] = Path(),
    stdio: Annotated[
        bool, typer.Option("--stdio", help="The MCP entry runs `crewboard mcp` (the relay).")
    ] = False,
    protocol: Annotated[
        bool,
        typer.Option(
            "--protocol",
            help="Also append the crewboard protocol section to each .claude/agents/*.md.",
        ),
    ] = False,
    undo_it: Annotated[
        bool, typer.Option("--undo", help="Put the files back as they were before connect.")
    ] = False,
    project: ProjectOption = None,
) -> None:
    """Register the roster from .claude/agents, add the crewboard MCP server to .mcp.json and
    the protocol's hooks to .claude/settings.json (merged, idempotent; --undo restores)."""
    root = repo.resolve()
    if undo_it:
        for relative in undo_connect(root):
            emit_line(f"restored {relative}")
        return
    with connect_to(project) as remote:
        changes = plan_connect(
            root, remote.client.url, stdio=stdio, protocol=protocol
        )  # refused before any change
        agents = read_agent_files(root)
        on_roster = {a["name"] for a in remote.get("agents", params={"limit": 200})["items"]}
        added = []
        for name, domain in agents:
            if name not in on_roster:
                remote.post("agents", body={"name": name, "domain": domain})
                added.append(name)
        apply_connect(root, changes)
        slug = remote.project
    kept = sorted(name for name, _ in agents if name in on_roster)
    emit_line(
        f"roster of {slug}: added {', '.join(added) or 'nobody'}"
        f"{'; already there: ' + ', '.join(kept) if kept else ''}"
    )
    for change in changes:
        emit_line(f"{change.path}: {'updated' if change.changed else 'already connected'}")
    emit_line(
        f"the originals are kept in {CONNECT_BACKUP} (git ignores it); `crewboard connect --undo` "
        "puts them back"
    )
    emit_line(
        "no token is written: each Claude Code session reads $CREWBOARD_TOKEN (for a crew, a "
        "crew credential: `crewboard token create … --crew`; for one agent, its token), and "
        "the hooks run `crewboard`, which must be on its PATH"
    )
