"""``crewboard mcp``: the MCP tools over stdio (see ``crewboard.mcp.stdio`` and docs/agents.md)."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from crewboard.cli.admin.runner import open_database
from crewboard.cli.admin.settings import load_settings
from crewboard.cli.errors import EXIT_FORBIDDEN, EXIT_USAGE, CliError
from crewboard.client.credentials import normalise_url, resolve
from crewboard.client.rest import ApiClient
from crewboard.client.teammate import ENV_AGENT, teammate_name
from crewboard.mcp.stdio import serve_local, serve_remote
from crewboard.services.accounts import CREW_PREFIX
from crewboard.services.core import unit_of_work
from crewboard.services.teams import local_agent

logger = logging.getLogger(__name__)


def _check_token(url: str, token: str) -> None:
    """Fail at start, in one line, on an unreachable server or a token it refuses."""
    with ApiClient(url, token) as api:
        me = api.get("/auth/me")
    if not isinstance(me, dict) or not me.get("agent_name"):
        raise CliError(
            "crewboard mcp needs an agent token (crewboard token create --agent NAME)",
            EXIT_FORBIDDEN,
        )


def _exchange(url: str, crew: str, agent: str | None) -> str:
    """The agent token a crew credential gives for ``agent`` (one line and exit 2 without
    one, the server's refusal otherwise)."""
    if agent is None:
        raise CliError(
            "a crew credential needs the agent it acts as: run as a Claude Code teammate "
            f"(--agent-name), or set {ENV_AGENT} or --agent",
            EXIT_USAGE,
        )
    with ApiClient(url, crew) as api:
        issued = api.post("/crew/exchange", {"agent": agent})
    logger.info("crewboard mcp: acting as agent %s (crew credential)", agent)
    return str(issued["token"])


def mcp_command(
    token: Annotated[
        str | None,
        typer.Option(help="An agent token (default: CREWBOARD_TOKEN or the stored login)."),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(help="The server (default: CREWBOARD_URL or the stored login)."),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Run on this database directly (single machine)."),
    ] = None,
    project: Annotated[str | None, typer.Option(help="With --database-url: the project.")] = None,
    agent: Annotated[
        str | None,
        typer.Option(
            help="With --database-url: the agent. With a crew credential: the agent to act as "
            "(default: the parent Claude Code teammate's --agent-name, else CREWBOARD_AGENT)."
        ),
    ] = None,
) -> None:
    """Serve the agent-teams tools over stdio, for an MCP client that spawns its servers."""
    if database_url is not None:
        if project is None or agent is None:
            raise CliError("--database-url needs --project and --agent", EXIT_USAGE)
        if token is not None or url is not None:
            raise CliError("--database-url runs locally: no --token or --url", EXIT_USAGE)
        settings = load_settings().model_copy(update={"database_url": database_url})

        async def _check() -> None:
            async with (
                open_database(settings) as database,
                unit_of_work(database, write=False) as session,
            ):
                await local_agent(session, project, agent)

        asyncio.run(_check())
        asyncio.run(serve_local(settings, project, agent))
        return
    if project is not None:
        raise CliError("--project goes with --database-url; a token names it", EXIT_USAGE)
    if token is None or url is None:
        stored = resolve()
        token, url = token or stored.token, url or stored.url
    url = normalise_url(url)
    if token.startswith(CREW_PREFIX):
        token = _exchange(url, token, teammate_name(agent))
    elif agent is not None:
        raise CliError("--agent goes with --database-url or a crew credential", EXIT_USAGE)
    _check_token(url, token)
    asyncio.run(serve_remote(url, token))
