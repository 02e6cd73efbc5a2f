"""``crewboard task``: a project's tasks over the REST API (add, list, ready, show, and the verbs).

People get tables and one-line summaries; ``--json`` prints the API's own JSON on stdout (the
items for listings, the object otherwise) and nothing else there.
"""

from __future__ import annotations

from typing import Annotated

import typer

from crewboard.cli.app import new_app
from crewboard.cli.output import JsonFlag, emit_line
from crewboard.cli.remote import task_verbs
from crewboard.cli.remote.connection import (
    AllFlag,
    AsOption,
    LimitOption,
    PriorityOption,
    ProjectOption,
    drop_none,
    emit_api_json,
    listing,
    parse,
    priority_number,
)
from crewboard.cli.remote.presenters import task_line, task_panel, task_table
from crewboard.client.project import Remote, connect
from crewboard.client.rest import Params
from crewboard.schemas.tasks import EventRead, TaskRead

app = new_app(
    "Tasks of a project, over the API: add, list, ready, show, claim, start, block, "
    "unblock, done, follow-up, release, renew. Log in first (crewboard login) or set "
    "CREWBOARD_URL and CREWBOARD_TOKEN."
)

NumberArg = Annotated[int, typer.Argument(metavar="N", help="The task's number (#N).")]
TrackerFilter = Annotated[
    str | None, typer.Option("--tracker", metavar="AGENT", help="Only this agent's tracker.")
]
TeamFilter = Annotated[
    str | None, typer.Option("--team", metavar="TEAM", help="Only this team's task list.")
]


@app.command("add")
def add(
    title: Annotated[str, typer.Argument(metavar="TITLE")],
    description: Annotated[str | None, typer.Option(metavar="TEXT")] = None,
    tracker: Annotated[
        str | None,
        typer.Option(metavar="AGENT", help="Put it on this agent's tracker (default: shared)."),
    ] = None,
    priority: PriorityOption = None,
    blocked_by: Annotated[
        list[int] | None,
        typer.Option("--blocked-by", metavar="N", help="A task it waits on (repeatable)."),
    ] = None,
    active_form: Annotated[
        str | None, typer.Option(metavar="TEXT", help='What shows while it runs: "Fixing …".')
    ] = None,
    team: Annotated[
        str | None, typer.Option(metavar="TEAM", help="Put it on this team's task list.")
    ] = None,
    as_agent: AsOption = None,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a pending task."""
    body = drop_none(
        title=title,
        description=description,
        tracker=tracker,
        priority=priority_number(priority),
        blocked_by=blocked_by or None,
        active_form=active_form,
        team=team,
        as_agent=as_agent,
    )
    with connect(project) as remote:
        data = remote.post("tasks", body=body)
    if as_json:
        emit_api_json(data)
    else:
        emit_line("created " + task_line(parse(TaskRead, data)))


def _list(remote: Remote, params: Params, limit: int, every: bool, as_json: bool) -> None:
    items = listing(remote, "tasks", params=params, limit=limit, every=every, noun="tasks")
    if as_json:
        emit_api_json(items)
    else:
        task_table([parse(TaskRead, item) for item in items])


@app.command("list")
def list_tasks(
    tracker: TrackerFilter = None,
    owner: Annotated[str | None, typer.Option(metavar="AGENT", help="Only its tasks.")] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            metavar="STATUS",
            help="pending, in_progress, blocked, completed or cancelled (repeatable).",
        ),
    ] = None,
    priority: PriorityOption = None,
    ready: Annotated[
        bool, typer.Option("--ready", help="The ready queue: by priority, then age.")
    ] = False,
    text: Annotated[str | None, typer.Option(metavar="T", help="Title or text contains T.")] = None,
    team: TeamFilter = None,
    limit: LimitOption = 50,
    every: AllFlag = False,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """List tasks by number (or, with --ready, the ready queue)."""
    params: Params = {
        "tracker": tracker,
        "owner": owner,
        "status": status or None,
        "priority": priority_number(priority),
        "ready": ready,
        "text": text,
        "team": team,
    }
    with connect(project) as remote:
        _list(remote, params, limit, every, as_json)


@app.command("ready")
def ready_tasks(
    tracker: TrackerFilter = None,
    team: TeamFilter = None,
    limit: LimitOption = 50,
    every: AllFlag = False,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The ready queue: pending, unowned, nothing open to wait on; by priority, then age."""
    with connect(project) as remote:
        _list(remote, {"tracker": tracker, "team": team, "ready": True}, limit, every, as_json)


@app.command("show")
def show(
    number: NumberArg,
    history: Annotated[bool, typer.Option("--history", help="Add the task's events.")] = False,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """One task: dependencies both ways, completion record, lease (--history: its events).

    With --json and --history: {"task": ..., "history": [...]}.
    """
    with connect(project) as remote:
        data = remote.get("tasks", number)
        events = (
            listing(
                remote, "tasks", number, "history", params={}, limit=200, every=True, noun="events"
            )
            if history
            else None
        )
    if as_json:
        emit_api_json(data if events is None else {"task": data, "history": events})
        return
    task_panel(
        parse(TaskRead, data),
        None if events is None else [parse(EventRead, e) for e in events],
    )


app.command("claim")(task_verbs.claim)
app.command("start")(task_verbs.start)
app.command("block")(task_verbs.block)
app.command("unblock")(task_verbs.unblock)
app.command("done")(task_verbs.done)
app.command("follow-up")(task_verbs.follow_up)
app.command("release")(task_verbs.release)
app.command("renew")(task_verbs.renew)
