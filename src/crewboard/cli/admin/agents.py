"""``crewboard agent``: the roster of a project (architect, backend, qa, ...)."""

from __future__ import annotations

from typing import Annotated

import typer

from crewboard.cli.admin.params import AgentArg, SlugArg
from crewboard.cli.admin.runner import Unit, collect, run_unit
from crewboard.cli.app import new_app
from crewboard.cli.output import JsonFlag, emit_json, emit_line, emit_table, when
from crewboard.schemas.projects import AgentRead
from crewboard.services.projects import RosterService

app = new_app("Manage a project's roster of agents: add, list, remove.")


@app.command("add")
def add_agent(
    project: SlugArg,
    name: AgentArg,
    domain: Annotated[str, typer.Option(help="What the agent works on.")] = "",
    tracker_path: Annotated[
        str | None,
        typer.Option(
            metavar="PATH",
            help="The agent's tracker, relative to the repository "
            "(default: .claude/trackers/NAME-tracker.md).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Put an agent on a project's roster."""

    async def work(unit: Unit) -> AgentRead:
        agent = await RosterService(unit.session).add(
            unit.actor, project, name=name, domain=domain, tracker_path=tracker_path
        )
        return AgentRead.model_validate(agent)

    agent = run_unit(work, write=True)
    if as_json:
        emit_json(agent)
    else:
        emit_line(f"added agent {agent.name} to {project} (tracker {agent.tracker_path})")


@app.command("list")
def list_agents(project: SlugArg, as_json: JsonFlag = False) -> None:
    """List a project's agents, in the order they were added."""

    async def work(unit: Unit) -> list[AgentRead]:
        service = RosterService(unit.session)
        agents = await collect(
            lambda cursor, limit: service.list(unit.actor, project, cursor=cursor, limit=limit)
        )
        return [AgentRead.model_validate(a) for a in agents]

    agents = run_unit(work, write=False)
    if as_json:
        emit_json(agents)
        return
    emit_table(
        f"Agents of {project}",
        ["Name", "Domain", "Tracker", "Added"],
        ([a.name, a.domain, a.tracker_path, when(a.created_at)] for a in agents),
    )


@app.command("remove")
def remove_agent(project: SlugArg, name: AgentArg) -> None:
    """Take an agent off the roster; tokens issued for it stop working."""

    async def work(unit: Unit) -> None:
        await RosterService(unit.session).remove(unit.actor, project, name)

    run_unit(work, write=True)
    emit_line(f"removed agent {name} from {project}")
