"""``crewboard team``: a project's teams over the REST API (create, list, show, edit, add,
remove, delete). A team's task list is ``crewboard task list --team NAME``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from crewboard.cli.app import new_app
from crewboard.cli.errors import EXIT_USAGE, CliError
from crewboard.cli.output import JsonFlag, emit_line, emit_table, when
from crewboard.cli.remote.connection import (
    AllFlag,
    LimitOption,
    ProjectOption,
    drop_none,
    emit_api_json,
    listing,
    parse,
)
from crewboard.cli.remote.presenters import team_line
from crewboard.client.project import connect
from crewboard.schemas.teams import TeamDeleted, TeamRead
from crewboard.services.tasks import Status

app = new_app(
    "Teams of a project, over the API: create, list, show, edit, add, remove, delete. "
    "A team's shared task list: crewboard task list --team NAME (ready queue: task ready "
    "--team NAME; claim from it: task claim --team NAME)."
)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The team's name.")]
DescriptionOption = Annotated[
    str | None, typer.Option("--description", metavar="TEXT", help="What the team is for.")
]


def tally(counts: dict[str, int]) -> str:
    """``2 pending, 1 in_progress`` (statuses in their usual order)."""
    order = tuple(s.value for s in Status)
    known = [s for s in order if counts.get(s)] + sorted(set(counts) - set(order))
    return ", ".join(f"{counts[s]} {s}" for s in known)


def _emit_team(data: Any, verb: str, as_json: bool) -> None:
    if as_json:
        emit_api_json(data)
    else:
        emit_line(f"{verb} team " + team_line(parse(TeamRead, data)))


def team_panel(team: TeamRead) -> None:
    """One team in full: lead, members (and when they joined), tasks by status."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    rows = [
        ("description", team.description),
        ("lead", team.lead or "(none)"),
        ("members", ", ".join(m.name for m in team.members) or "(none)"),
        ("tasks", tally(team.tasks) or "(none)"),
        ("created", when(team.created_at)),
    ]
    for name, value in rows:
        if value:
            grid.add_row(Text(name), Text(value))
    console = Console(highlight=False, soft_wrap=False)
    console.print(Panel(grid, title=Text(f"team {team.name}"), title_align="left", expand=False))
    if team.members:
        emit_table(
            "Members",
            ("agent", "joined", ""),
            [
                (m.name, when(m.joined_at), "lead" if m.name == team.lead else "")
                for m in team.members
            ],
        )


@app.command("create")
def create(
    name: NameArg,
    description: DescriptionOption = None,
    lead: Annotated[
        str | None,
        typer.Option(metavar="AGENT", help="Its lead (an agent token: itself, the default)."),
    ] = None,
    members: Annotated[
        list[str] | None,
        typer.Option("--member", metavar="AGENT", help="An agent on the team (repeatable)."),
    ] = None,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a team. An agent creating one leads it; the lead is always a member."""
    body = drop_none(name=name, description=description, lead=lead, members=members or None)
    with connect(project) as remote:
        data = remote.post("teams", body=body)
    _emit_team(data, "created", as_json)


@app.command("list")
def list_teams(
    limit: LimitOption = 50,
    every: AllFlag = False,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The project's teams, oldest first."""
    with connect(project) as remote:
        items = listing(remote, "teams", params={}, limit=limit, every=every, noun="teams")
    if as_json:
        emit_api_json(items)
        return
    teams: Sequence[TeamRead] = [parse(TeamRead, item) for item in items]
    emit_table(
        "Teams",
        ("name", "lead", "members", "tasks", "description"),
        [
            (
                t.name,
                t.lead or "",
                ", ".join(m.name for m in t.members),
                tally(t.tasks),
                t.description,
            )
            for t in teams
        ],
    )


@app.command("show")
def show(name: NameArg, project: ProjectOption = None, as_json: JsonFlag = False) -> None:
    """One team: description, lead, members, its tasks counted by status."""
    with connect(project) as remote:
        data = remote.get("teams", name)
    if as_json:
        emit_api_json(data)
    else:
        team_panel(parse(TeamRead, data))


@app.command("edit")
def edit(
    name: NameArg,
    description: DescriptionOption = None,
    lead: Annotated[
        str | None, typer.Option(metavar="AGENT", help="A new lead (it joins the team).")
    ] = None,
    no_lead: Annotated[bool, typer.Option("--no-lead", help="Leave it without a lead.")] = False,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Change a team's description or lead (members, owners, the team's lead)."""
    if lead is not None and no_lead:
        raise CliError("--lead and --no-lead exclude each other", EXIT_USAGE)
    body: dict[str, object] = drop_none(description=description, lead=lead)
    if no_lead:
        body["lead"] = None
    if not body:
        raise CliError("nothing to change: give --description, --lead or --no-lead", EXIT_USAGE)
    with connect(project) as remote:
        data = remote.patch("teams", name, body=body)
    _emit_team(data, "changed", as_json)


@app.command("add")
def add(
    name: NameArg,
    agents: Annotated[list[str], typer.Argument(metavar="AGENT...", help="Roster agents.")],
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Put agents on a team (an agent may add itself; the lead and members anyone)."""
    with connect(project) as remote:
        data = remote.post("teams", name, "members", body={"agents": agents})
    _emit_team(data, "added to", as_json)


@app.command("remove")
def remove(
    name: NameArg,
    agent: Annotated[str, typer.Argument(metavar="AGENT")],
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Take an agent off a team (a lead leaving steps down); its tasks stay as they are."""
    with connect(project) as remote:
        data = remote.delete("teams", name, "members", agent)
    _emit_team(data, "removed from", as_json)


@app.command("delete")
def delete(
    name: NameArg,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Even while its members hold tasks of it: those go back to pending "
            "(members and owners only).",
        ),
    ] = False,
    project: ProjectOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Delete a team; its tasks stay in the project, on no team.

    Refused while its members hold in-progress tasks of it ([team-busy], exit 1), unless
    --force.
    """
    with connect(project) as remote:
        data = remote.delete("teams", name, params={"force": force})
    if as_json:
        emit_api_json(data)
        return
    done = parse(TeamDeleted, data)
    line = f"deleted team {done.name}; {done.detached} task{'s' * (done.detached != 1)} left it"
    if done.released:
        line += "; back to pending: " + ", ".join(f"#{n}" for n in done.released)
    emit_line(line)
