"""``crewboard mcp``: the tools over stdio, for MCP clients that spawn their servers.

Two modes:

- **remote** (the default): a relay to the server's ``/mcp`` with the agent's token. It holds
  no rule and no database; the server answers ``tools/list`` and every call.
- **local** (``--database-url``, ``--project``, ``--agent``): the same tools run in this
  process against the database, as that roster agent (see ``services.agent_teams.local_agent``).

Only MCP messages go to stdout; logs go to stderr.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx2
from mcp.client import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server import Server, ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp_types import (
    CallToolRequestParams,
    CallToolResult,
    ListToolsResult,
    PaginatedRequestParams,
)

from crewboard import __version__
from crewboard.config import Settings
from crewboard.database import Database
from crewboard.mcp.errors import tool_error
from crewboard.mcp.http import MCP_PATH
from crewboard.mcp.server import INSTRUCTIONS, Bound, build_server, fixed
from crewboard.services.core import unit_of_work
from crewboard.services.teams import local_agent

logger = logging.getLogger(__name__)

CONNECT_SECONDS = 30.0
CALL_SECONDS = 300.0


async def _serve(server: Server[Any]) -> None:
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


async def serve_local(settings: Settings, project: str, agent: str) -> None:
    """Serve the tools on stdio, running them against the local database as ``agent``."""
    database = Database(settings)
    try:
        async with unit_of_work(database, write=False) as session:
            actor = await local_agent(session, project, agent)
        bound = Bound(database, settings, fixed(actor))

        async def bind(ctx: ServerRequestContext[Any, Any]) -> Bound:
            return bound

        logger.info("crewboard mcp: %s in project %s, on the local database", agent, project)
        await _serve(build_server(bind))
    finally:
        await database.dispose()


async def serve_remote(url: str, token: str) -> None:
    """Serve the tools on stdio, relaying every request to the server at ``url``."""
    headers = {"authorization": f"Bearer {token}"}
    timeout = httpx2.Timeout(CONNECT_SECONDS, read=CALL_SECONDS)
    async with (
        httpx2.AsyncClient(headers=headers, timeout=timeout) as http,
        streamable_http_client(url + MCP_PATH, http_client=http) as (read, write),
        ClientSession(read, write) as upstream,
    ):
        await upstream.initialize()

        async def list_tools(
            ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams | None
        ) -> ListToolsResult:
            return await upstream.list_tools(params=params)

        async def call_tool(
            ctx: ServerRequestContext[Any, Any], params: CallToolRequestParams
        ) -> CallToolResult:
            try:
                return await upstream.call_tool(params.name, params.arguments)
            except (MCPError, httpx2.HTTPError, OSError) as exc:
                logger.warning("call to %s failed: %s", url, exc)
                return tool_error("unreachable", f"the crewboard server at {url} failed: {exc}")

        server: Server[Any] = Server(
            "crewboard",
            version=__version__,
            instructions=INSTRUCTIONS,
            on_list_tools=list_tools,
            on_call_tool=call_tool,
        )
        logger.info("crewboard mcp: relaying to %s", url)
        await _serve(server)
