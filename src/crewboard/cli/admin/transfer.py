"""``crewboard export`` and ``crewboard import``: whole projects, and Claude Code teams.

``crewboard export SLUG`` is ``crewboard export project SLUG`` and ``crewboard import FILE``
is ``crewboard import project FILE``: a first word that is not a subcommand goes to
``project``. ``claude-team`` keeps its own subcommand (cli/admin/claude_team.py). Admin
commands on the database, as the system. See docs/backup.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from crewboard.cli.admin import claude_team
from crewboard.cli.admin.params import SlugArg, slug_value
from crewboard.cli.admin.runner import Unit, run_unit
from crewboard.cli.app import new_app
from crewboard.cli.errors import EXIT_USAGE, CliError
from crewboard.cli.output import emit_line, note
from crewboard.services.core import write_atomic
from crewboard.services.interop.transfer import (
    ImportReport,
    ProjectExport,
    ProjectImport,
    parse_lines,
    plan_import,
)

try:  # recent Typer releases ship their own copy of click
    from typer import _click as click_api
except ImportError:  # pragma: no cover - older Typer uses the click package
    import click as click_api  # type: ignore[no-redef]

DEFAULT = "project"


class DefaultToProject(TyperGroup):
    """A group whose unknown first word (a slug, a file) is the argument of ``project``."""

    def parse_args(self, ctx: click_api.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = [DEFAULT, *args]
        return super().parse_args(ctx, args)


export_app = new_app(
    "Write a project or a team out: 'crewboard export SLUG' (the same as 'crewboard export "
    "project SLUG') writes a whole project as JSON lines; 'crewboard export claude-team "
    "NAME' writes a team as Claude Code's files.",
    cls=DefaultToProject,
)
import_app = new_app(
    "Bring a project or a team in: 'crewboard import FILE' (the same as 'crewboard import "
    "project FILE') reads a project export; 'crewboard import claude-team NAME' reads a "
    "Claude Code team.",
    cls=DefaultToProject,
)
export_app.command("claude-team")(claude_team.export_claude_team)
import_app.command("claude-team")(claude_team.import_claude_team)


@export_app.command("project")
def export_project(
    project: SlugArg,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            dir_okay=False,
            help="Write to FILE (atomically) instead of stdout.",
        ),
    ] = None,
) -> None:
    """Export PROJECT as JSON lines: roster, members, teams, tasks, dependencies, messages
    and deliveries, changelog, events. One consistent snapshot; no secrets (no tokens,
    password hashes or webhooks)."""

    async def work(unit: Unit) -> list[str]:
        return await ProjectExport(unit.session).run(unit.actor, project)

    lines = run_unit(work, write=False)
    body = "".join(line + "\n" for line in lines)
    if output is None:
        typer.echo(body, nl=False)
        return
    try:
        write_atomic(output.expanduser(), body)
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror or exc}") from exc
    note(f"exported project {project} to {output}: {len(lines) - 1} records")


def _records(text: str) -> list[str]:
    """The file's JSON lines. Only ``\n`` ends one: ``str.splitlines`` would also split at
    U+2028, U+2029, U+0085 and the like, which JSON keeps raw inside a string."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]  # a file saved with CRLF endings


def _read_lines(file: str) -> tuple[str, list[str]]:
    if file == "-":
        return "<stdin>", _records(sys.stdin.read())
    try:
        return file, _records(Path(file).expanduser().read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CliError(f"no file {file}", EXIT_USAGE) from exc
    except UnicodeDecodeError as exc:
        raise CliError(f"{file}: not UTF-8 text ({exc.reason})", EXIT_USAGE) from exc
    except OSError as exc:
        raise CliError(f"cannot read {file}: {exc.strerror or exc}", EXIT_USAGE) from exc


@import_app.command("project")
def import_project(
    file: Annotated[str, typer.Argument(metavar="FILE", help="An export ('-' for stdin).")],
    slug: Annotated[
        str | None,
        typer.Option(
            "--slug",
            metavar="SLUG",
            callback=slug_value,
            help="The new project's slug (default: the one in the file).",
        ),
    ] = None,
    create_users: Annotated[
        bool,
        typer.Option(
            "--create-users", help="Create members missing on this instance, without a password."
        ),
    ] = False,
) -> None:
    """Import a project export as a new project, in one transaction (all or nothing).

    Every line is checked before anything is written; a bad one is reported as
    FILE:LINE: reason (exit 2). Members must exist as users unless --create-users.
    """
    name, lines = _read_lines(file)
    _, records = parse_lines(name, lines)
    plan = plan_import(name, records)

    async def work(unit: Unit) -> ImportReport:
        return await ProjectImport(unit.session).run(
            unit.actor, plan, name=name, slug=slug, create_users=create_users
        )

    report = run_unit(work, write=True)
    for email in report.users_created:
        note(f"created user {email} (no password: set one or issue a token)")
    counts = ", ".join(f"{n} {what}" for what, n in report.counts.items())
    emit_line(f"imported project {report.slug} from {name}: {counts}")
