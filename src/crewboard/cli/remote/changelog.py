"""``crewboard changelog``: a project's append-only changelog over the REST API."""

from __future__ import annotations

from typing import Annotated

import typer

from crewboard.cli.app import new_app
from crewboard.cli.output import JsonFlag, emit_line, emit_table, emit_text, when
from crewboard.cli.remote.connection import (
    AllFlag,
    AsOption,
    LimitOption,
    ProjectOption,
    drop_none,
    emit_api_json,
    listing,
    parse,
)
from crewboard.cli.remote.presenters import appended_line
from crewboard.client.project import connect
from crewboard.schemas.tasks import ChangelogRead

app = new_app(
    "The project's changelog, over the API: add an entry (problem, fix, files, verified), "
    "list entries, show the CHANGELOG.md file. Entries are never changed or deleted."
)


@app.command("add")
def add(
    title: Annotated[str, typer.Option(metavar="T", help="What changed, in a few words.")],
    problem: Annotated[str, typer.Option(metavar="P", help="The problem.")],
    fix: Annotated[str, typer.Option(metavar="F", help="The fix.")],
    verified: Annotated[str, typer.Option(metavar="TEXT", help="How it was checked.")],
    files: Annotated[
        list[str] | None,
        typer.Option("--file", metavar="PATH", help="A file changed (repeatable)."),
    ] = None,
    tasks: Annotated[
        list[int] | None,
        typer.Option("--task", metavar="N", help="A task it is about (repeatable)."),
    ] = None,
    as_agent: AsOption = None,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Append an entry, written by the acting agent."""
    body = drop_none(
        title=title,
        problem=problem,
        fix=fix,
        verified=verified,
        files=files or None,
        task_ids=tasks or None,
        as_agent=as_agent,
    )
    with connect(project) as remote:
        data = remote.post("changelog", body=body)
    if as_json:
        emit_api_json(data)
    else:
        entry = parse(ChangelogRead, data)
        emit_line(appended_line(entry))


@app.command("list")
def list_entries(
    agent: Annotated[
        str | None, typer.Option(metavar="A", help="Only this agent's entries.")
    ] = None,
    task: Annotated[
        int | None, typer.Option(metavar="N", help="Only entries about task N.")
    ] = None,
    limit: LimitOption = 50,
    every: AllFlag = False,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Entries, oldest first."""
    with connect(project) as remote:
        items = listing(
            remote,
            "changelog",
            params={"agent": agent, "task": task},
            limit=limit,
            every=every,
            noun="entries",
        )
    if as_json:
        emit_api_json(items)
        return
    entries = [parse(ChangelogRead, item) for item in items]
    emit_table(
        "Changelog entries",
        ("id", "when", "agent", "title", "tasks", "files"),
        [
            (
                str(e.id),
                when(e.created_at),
                e.agent,
                e.title,
                ", ".join(f"#{n}" for n in e.task_ids),
                ", ".join(e.files),
            )
            for e in entries
        ],
    )


@app.command("show")
def show(project: ProjectOption = None) -> None:
    """The changelog as the markdown file ``.claude/CHANGELOG.md`` (oldest entry first)."""
    with connect(project) as remote:
        emit_text(remote.client.text(remote.path("changelog.md")))
