"""``crewboard import claude-team`` and ``crewboard export claude-team``: Claude Code interop.

Admin commands: they read or write ``~/.claude`` on this machine and work on the database
directly, as the system (like ``crewboard agent add``). An import is one transaction;
an export reads in one transaction, then writes each file atomically under its lock.
The ``import`` and ``export`` groups holding them are in cli/admin/transfer.py.
See docs/claude-code.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from crewboard.cli.admin.params import slug_value
from crewboard.cli.admin.runner import Unit, run_unit
from crewboard.cli.output import JsonFlag, emit_line, note
from crewboard.services.interop.claude import (
    ClaudeTeamExport,
    ClaudeTeamImport,
    ImportReport,
    TeamExport,
    default_claude_dir,
    read_team,
    write_files,
)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The team's name.")]
ProjectOption = Annotated[
    str,
    typer.Option(
        "--project",
        "-p",
        metavar="SLUG",
        callback=slug_value,
        help="The crewboard project the team is in.",
    ),
]
ClaudeDirOption = Annotated[
    Path | None,
    typer.Option(
        "--claude-dir",
        metavar="DIR",
        help="Claude Code's folder (default: $CLAUDE_CONFIG_DIR, else ~/.claude).",
    ),
]


def _folder(claude_dir: Path | None) -> Path:
    return (claude_dir or default_claude_dir()).expanduser()


def import_claude_team(
    name: NameArg,
    project: ProjectOption,
    claude_dir: ClaudeDirOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Import teams/NAME and tasks/NAME of Claude Code into a new team of the project.

    Members not on the roster are added to it. The files are checked before anything is
    written, and the import is one transaction: on any error nothing is imported.
    """
    bundle = read_team(_folder(claude_dir), name)

    async def work(unit: Unit) -> ImportReport:
        return await ClaudeTeamImport(unit.session, unit.settings).run(unit.actor, project, bundle)

    report = run_unit(work, write=True)
    if as_json:
        payload = {
            "team": report.team,
            "project": project,
            "members": report.members,
            "agents_added": report.agents_added,
            "tasks": report.tasks,
            "messages": report.messages,
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    numbers = sorted(report.tasks.values())
    span = f" (#{numbers[0]}-#{numbers[-1]})" if numbers else ""
    emit_line(
        f"imported team {report.team} into {project}: {len(report.members)} members"
        f" ({len(report.agents_added)} new on the roster), {len(numbers)} tasks{span}, "
        f"{report.messages} messages"
    )


def export_claude_team(
    name: NameArg,
    project: ProjectOption,
    claude_dir: ClaudeDirOption = None,
    lock_timeout: Annotated[
        float,
        typer.Option(
            min=0,
            max=600,
            metavar="SECONDS",
            help="How long to wait for a file's .lock held by someone else.",
        ),
    ] = 10.0,
    as_json: JsonFlag = False,
) -> None:
    """Write a team as Claude Code's files: teams/NAME/config.json, tasks/NAME/ID.json and
    teams/NAME/inboxes/AGENT.json, so a Claude Code team can go on from crewboard's state."""
    folder = _folder(claude_dir)

    async def work(unit: Unit) -> TeamExport:
        return await ClaudeTeamExport(unit.session, unit.settings).run(unit.actor, project, name)

    export = run_unit(work, write=False)
    written = write_files(folder, export.files, lock_timeout=lock_timeout)
    if as_json:
        payload = {"team": name, "claude_dir": str(folder), "files": written}
        typer.echo(json.dumps(payload, indent=2))
        return
    tasks = sum(1 for path in written if path.startswith("tasks/"))
    inboxes = sum(1 for path in written if "/inboxes/" in path)
    emit_line(f"exported team {name} to {folder}: config.json, {tasks} tasks, {inboxes} inboxes")
    if not tasks:
        note("the team has no tasks")
