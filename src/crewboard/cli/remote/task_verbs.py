"""The protocol's task verbs: claim, start, block, unblock, done, follow-up, release, renew.

Each is one API call; the server checks the transition, the permission and the values.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from crewboard.cli.errors import EXIT_USAGE, CliError
from crewboard.cli.output import JsonFlag, emit_line
from crewboard.cli.remote.connection import (
    AsOption,
    PriorityOption,
    ProjectOption,
    drop_none,
    emit_api_json,
    parse,
    priority_number,
)
from crewboard.cli.remote.presenters import appended_line, task_line
from crewboard.client.project import connect
from crewboard.schemas.tasks import CompletionRead, TaskChangeRead, TaskRead

NumberArg = Annotated[int, typer.Argument(metavar="N", help="The task's number (#N).")]
FilesOption = Annotated[
    list[str] | None,
    typer.Option("--file", metavar="PATH", help="A file it touched (repeatable)."),
]


def _show_task(data: Any, verb: str, as_json: bool) -> None:
    if as_json:
        emit_api_json(data)
    else:
        emit_line(f"{verb} " + task_line(parse(TaskRead, data)))


def _show_change(data: Any, verb: str, as_json: bool) -> None:
    if as_json:
        emit_api_json(data)
    else:
        emit_line(f"{verb} " + task_line(parse(TaskChangeRead, data).task))


def claim(
    number: Annotated[
        int | None, typer.Argument(metavar="N", help="The task; none: the best ready one.")
    ] = None,
    tracker: Annotated[
        str | None,
        typer.Option(metavar="AGENT", help="Without N: the best ready task of this tracker."),
    ] = None,
    shared: Annotated[
        bool, typer.Option("--shared", help="Without N: only shared (trackerless) tasks.")
    ] = False,
    anywhere: Annotated[
        bool, typer.Option("--anywhere", help="Without N: any tracker of the project.")
    ] = False,
    team: Annotated[
        str | None,
        typer.Option(metavar="TEAM", help="Without N: the best ready task of this team's list."),
    ] = None,
    as_agent: AsOption = None,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Claim task N, or the best ready task (default: your tracker and shared tasks; --team:
    the team's list, whatever the tracker).

    The claim is atomic: exactly one claimer gets a task. It becomes in progress, yours,
    with a lease that any of your work on it renews.
    """
    if number is not None and (tracker is not None or shared or anywhere or team is not None):
        raise CliError("claim N takes no --tracker, --shared, --anywhere or --team", EXIT_USAGE)
    with connect(project) as remote:
        if number is not None:
            data = remote.post("tasks", number, "claim", body=drop_none(as_agent=as_agent))
        else:
            body = drop_none(
                tracker=tracker,
                shared_only=shared or None,
                anywhere=anywhere or None,
                team=team,
                as_agent=as_agent,
            )
            data = remote.post("tasks", "claim", body=body)
    _show_task(data, "claimed", as_json)


def start(
    number: NumberArg,
    as_agent: AsOption = None,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Start working on task N: claims it if unowned, or resumes your own."""
    with connect(project) as remote:
        data = remote.post("tasks", number, "start", body=drop_none(as_agent=as_agent))
    _show_change(data, "started", as_json)


def block(
    number: NumberArg,
    reason: Annotated[str, typer.Option(metavar="TEXT", help="Why it is blocked (one line).")],
    needs: Annotated[
        str | None, typer.Option(metavar="AGENT", help="The agent whose help is needed.")
    ] = None,
    as_agent: AsOption = None,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Mark task N blocked, with the reason and the agent it needs."""
    body = drop_none(reason=reason, needs_agent=needs, as_agent=as_agent)
    with connect(project) as remote:
        data = remote.post("tasks", number, "block", body=body)
    _show_change(data, "blocked", as_json)


def unblock(
    number: NumberArg,
    as_agent: AsOption = None,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Unblock task N: back in progress if someone holds it, else back to pending."""
    with connect(project) as remote:
        data = remote.post("tasks", number, "unblock", body=drop_none(as_agent=as_agent))
    _show_change(data, "unblocked", as_json)


def release(
    number: NumberArg,
    as_agent: AsOption = None,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Hand task N back to the queue: pending and unowned."""
    with connect(project) as remote:
        data = remote.post("tasks", number, "release", body=drop_none(as_agent=as_agent))
    _show_change(data, "released", as_json)


def renew(
    number: NumberArg,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Extend the lease on task N, which you hold (a heartbeat during long work)."""
    with connect(project) as remote:
        data = remote.post("tasks", number, "renew", body=None)
    _show_task(data, "renewed", as_json)


def done(
    number: NumberArg,
    outcome: Annotated[
        str, typer.Option(metavar="TEXT", help="What was done, one line (the tracker's line).")
    ],
    files: FilesOption = None,
    verified: Annotated[
        str | None,
        typer.Option(metavar="TEXT", help="How it was checked (the changelog entry's too)."),
    ] = None,
    changelog_title: Annotated[
        str | None,
        typer.Option(
            metavar="T", help="Append a changelog entry too: its title (with --problem, --fix)."
        ),
    ] = None,
    problem: Annotated[
        str | None, typer.Option(metavar="P", help="Changelog: the problem.")
    ] = None,
    fix: Annotated[str | None, typer.Option(metavar="F", help="Changelog: the fix.")] = None,
    as_agent: AsOption = None,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Complete task N with its outcome; optionally append its changelog entry in the same call.

    The changelog entry needs --changelog-title, --problem, --fix and --verified; it lists
    the same --file paths and links the task. Each fact has one option: --verified is how
    it was checked, for the task and its entry alike.
    """
    parts = {"title": changelog_title, "problem": problem, "fix": fix}
    given = [name for name, value in parts.items() if value is not None]
    if given:
        missing = [
            "--changelog-title" if name == "title" else f"--{name}"
            for name, value in parts.items()
            if value is None
        ]
        if verified is None:
            missing.append("--verified")
        if missing:
            raise CliError(f"a changelog entry also needs {', '.join(missing)}", EXIT_USAGE)
    changelog = {**parts, "verified": verified, "files": files or []} if given else None
    body = drop_none(
        outcome=outcome,
        files=files or None,
        verified=verified,
        changelog=changelog,
        as_agent=as_agent,
    )
    with connect(project) as remote:
        data = remote.post("tasks", number, "complete", body=body)
    if as_json:
        emit_api_json(data)
        return
    completion = parse(CompletionRead, data)
    emit_line("done " + task_line(completion.task))
    if completion.changelog is not None:
        entry = completion.changelog
        emit_line(appended_line(entry))


def follow_up(
    number: NumberArg,
    tracker: Annotated[str, typer.Option(metavar="AGENT", help="Whose tracker it goes on.")],
    title: Annotated[str, typer.Option(metavar="T")],
    description: Annotated[str | None, typer.Option(metavar="D")] = None,
    priority: PriorityOption = None,
    as_agent: AsOption = None,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Leave a follow-up of task N on another agent's tracker (it links back to N)."""
    body = drop_none(
        tracker=tracker,
        title=title,
        description=description,
        priority=priority_number(priority),
        as_agent=as_agent,
    )
    with connect(project) as remote:
        data = remote.post("tasks", number, "follow-ups", body=body)
    _show_task(data, "follow-up", as_json)
