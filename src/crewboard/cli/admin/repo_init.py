"""``crewboard init``: a repository's ``.claude/`` folder (agents, trackers, changelog) into a
project.

An admin command: it reads the folder on this machine and works on the database directly, as
the system (like ``crewboard import claude-team``). The files are read and checked first, then
everything is written in one transaction. Lines that cannot be imported are listed, never
dropped; they make the exit code 5. See docs/init.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from crewboard.cli.admin.params import agent_value, email_value, slug_value
from crewboard.cli.admin.runner import Unit, run_unit
from crewboard.cli.errors import EXIT_USAGE, CliError
from crewboard.cli.output import JsonFlag, emit_line, note
from crewboard.services.interop.repo import (
    FileNote,
    InitReport,
    Plan,
    RepoImport,
    plan_import,
    read_repo,
    slug_for,
)
from crewboard.services.markdown import STATUSES

EXIT_PARTIAL = 5  # imported, but some lines could not be (they are listed)


def _note_line(n: FileNote) -> str:
    where = f"{n.path}:{n.line}" if n.line else n.path
    return f"  {where}: {n.reason}: {n.text.strip()}"


def _payload(report: InitReport, repo: Path, written: bool) -> dict[str, object]:
    return {
        "project": report.project,
        "repo": str(repo),
        "written": written,
        "project_created": report.project_created,
        "agents_added": report.agents_added,
        "agents_kept": report.agents_kept,
        "tasks": report.tasks,
        "numbered": [
            {"file": f, "line": line, "written": w, "number": n}
            for f, line, w, n in report.numbered
        ],
        "changelog_entries": report.entries,
        "not_imported": [
            {"file": n.path, "line": n.line, "text": n.text, "reason": n.reason}
            for n in report.notes
        ],
    }


def _emit(report: InitReport, repo: Path) -> None:
    created = " (new project)" if report.project_created else ""
    emit_line(f"initialised project {report.project}{created} from {repo}")
    added, kept = report.agents_added, report.agents_kept
    emit_line(
        f"agents: {len(added)} added ({', '.join(added) or 'none'}), "
        f"{len(kept)} already on the roster ({', '.join(kept) or 'none'})"
    )
    counts = ", ".join(f"{s.replace('_', ' ')} {report.tasks.get(s, 0)}" for s in STATUSES)
    emit_line(f"tasks: {sum(report.tasks.values())} ({counts})")
    emit_line(f"changelog entries: {report.entries}")
    for path, line, written, number in report.numbered:
        why = "no number in the file" if written is None else f"#{written} was taken"
        emit_line(f"numbered: {path}:{line} is #{number} ({why})")
    if report.notes:
        emit_line(f"not imported ({len(report.notes)}):")
        for item in report.notes:
            emit_line(_note_line(item))


def init_command(
    repo: Annotated[
        Path | None,
        typer.Option(
            "--repo",
            metavar="PATH",
            help="The repository holding .claude/ (default: the current folder).",
        ),
    ] = None,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            "-p",
            metavar="SLUG",
            callback=slug_value,
            help="The project (default: the repository folder's name as a slug); "
            "created if it does not exist.",
        ),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option(
            "--owner",
            metavar="EMAIL",
            callback=email_value,
            help="Owner of a new project (default: the only active admin).",
        ),
    ] = None,
    changelog_agent: Annotated[
        str | None,
        typer.Option(
            "--changelog-agent",
            metavar="NAME",
            callback=agent_value,
            help="The agent of changelog entries that name none.",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Write nothing if any line cannot be imported."),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Register the roster from .claude/agents/*.md and import the trackers and CHANGELOG.md.

    Exit 0: everything imported. Exit 5: the lines listed could not be imported; the rest
    was (with --strict: nothing was). A project that already has tasks or changelog
    entries is refused (exit 1).
    """
    root = (repo or Path.cwd()).expanduser().resolve()
    slug = project or slug_for(root.name)
    if not slug:
        raise CliError(
            f"cannot make a project slug of {root.name!r}: pass --project SLUG", EXIT_USAGE
        )
    plan: Plan = plan_import(read_repo(root), changelog_agent=changelog_agent)
    written = not (strict and plan.notes)
    if written:

        async def work(unit: Unit) -> InitReport:
            return await RepoImport(unit.session, unit.settings).run(
                unit.actor, slug, plan, owner=owner, repo_path=str(root)
            )

        report = run_unit(work, write=True)
    else:
        report = InitReport(slug, notes=plan.notes)
    if as_json:
        typer.echo(json.dumps(_payload(report, root, written), indent=2, ensure_ascii=False))
    elif written:
        _emit(report, root)
    else:
        emit_line(f"nothing imported into {slug} (--strict); not importable ({len(report.notes)}):")
        for item in report.notes:
            emit_line(_note_line(item))
    if report.notes:
        note(f"crewboard: {len(report.notes)} lines not imported (listed on stdout)")
        raise typer.Exit(EXIT_PARTIAL)
