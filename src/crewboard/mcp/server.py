"""The MCP server: the agent-teams tools on the official SDK's low-level ``Server``.

Transports differ only in how a call learns who calls (``Binding``): over HTTP from the
request's Bearer token, resolved inside the call's unit of work; over stdio, the local agent
chosen at start. Each tool call is one unit of work: committed when the tool succeeds,
rolled back when it fails.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp.server import Server, ServerRequestContext
from mcp_types import (
    CallToolRequestParams,
    CallToolResult,
    ListToolsResult,
    PaginatedRequestParams,
    TextContent,
    Tool,
    ToolAnnotations,
)
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard import __version__
from crewboard.config import Settings
from crewboard.database import Database, is_busy
from crewboard.edge.last_use import record_last_use
from crewboard.mcp.errors import from_domain, from_validation, tool_error
from crewboard.mcp.registry import Call, ToolSpec, dumps
from crewboard.mcp.schemas import compact_schema
from crewboard.mcp.tools import messages as tools_messages
from crewboard.mcp.tools import tasks as tools_tasks
from crewboard.mcp.tools import team as tools_team
from crewboard.services.core import Actor, DomainError, Forbidden, unit_of_work

logger = logging.getLogger(__name__)

SPECS: list[ToolSpec] = [*tools_team.TOOLS, *tools_tasks.TOOLS, *tools_messages.TOOLS]
BY_NAME = {spec.name: spec for spec in SPECS}
INSTRUCTIONS = (
    "crewboard: your team's tracker, tasks, mailbox and changelog. Identity comes from your "
    "token. Task ids are the project's task numbers."
)


Authenticate = Callable[[AsyncSession, bool], Awaitable[Actor]]


@dataclass(frozen=True, slots=True)
class Bound:
    """What a tool call runs against: the database, the settings, and how it learns who calls
    inside its own unit of work (``authenticate(session, write)``, as a REST request does)."""

    database: Database
    settings: Settings
    authenticate: Authenticate


def fixed(actor: Actor) -> Authenticate:
    """Every call is ``actor`` (stdio on the local database: chosen at start)."""

    async def authenticate(session: AsyncSession, write: bool) -> Actor:
        return actor

    return authenticate


Binding = Callable[[ServerRequestContext[Any, Any]], Awaitable[Bound]]


def tool_list() -> list[Tool]:
    """The tools as ``tools/list`` shows them."""
    return [
        Tool(
            name=spec.name,
            description=spec.description,
            input_schema=compact_schema(spec.args),
            annotations=None if spec.write else ToolAnnotations(read_only_hint=True),
        )
        for spec in SPECS
    ]


def _text(value: object) -> CallToolResult:
    text = value if isinstance(value, str) else dumps(value)
    return CallToolResult(content=[TextContent(type="text", text=text)])


def _prepare(name: str, arguments: dict[str, Any] | None) -> tuple[ToolSpec, Any] | CallToolResult:
    """The tool and its validated arguments, or why the call cannot run."""
    spec = BY_NAME.get(name)
    if spec is None:
        return tool_error("unknown-tool", f"no tool named {name!r}")
    try:
        return spec, spec.args.model_validate(arguments or {})
    except ValidationError as exc:
        return from_validation(exc)


async def _run(bound: Bound, prepared: tuple[ToolSpec, Any] | CallToolResult) -> CallToolResult:
    """One unit of work: authenticate the caller, then (if the call can run) run the tool.

    Even a call that cannot run authenticates first, so a refused credential is always
    refused as such. A read's last-use write waits until its connection is back in the pool.
    """
    write = not isinstance(prepared, CallToolResult) and prepared[0].writes(prepared[1])
    async with unit_of_work(bound.database, write=write) as session:
        actor = await bound.authenticate(session, write)
        if actor.project_slug is None or not actor.is_agent:
            raise Forbidden("the MCP tools need an agent token", code="agent-token-required")
        if isinstance(prepared, CallToolResult):
            result = prepared
        else:
            spec, args = prepared
            value = await spec.handler(
                Call(session, bound.settings, actor, actor.project_slug), args
            )
            result = _text(value)
    await record_last_use(bound.database, bound.settings, session)
    return result


async def run_tool(bound: Bound, name: str, arguments: dict[str, Any] | None) -> CallToolResult:
    """Validate the arguments, then authenticate and run the tool in one transaction;
    failures are results."""
    try:
        return await _run(bound, _prepare(name, arguments))
    except DomainError as exc:
        logger.info("tool %s refused: %s", name, exc.detail_code)
        return from_domain(exc)
    except OperationalError as exc:
        if is_busy(exc):
            logger.warning("database busy during %s: %s", name, exc.orig)
            return tool_error("busy", "the database is busy; retry shortly")
        logger.exception("tool %s failed", name)
        return tool_error("internal", "internal error; see the server log")
    except Exception:
        # A bug: the caller gets one line, not the SDK's JSON-RPC error carrying the
        # exception's text (a database error quotes the SQL); the log keeps the traceback.
        logger.exception("tool %s failed", name)
        return tool_error("internal", "internal error; see the server log")


def build_server(bind: Binding) -> Server[Any]:
    """The MCP server; ``bind`` says who calls and against which database."""
    tools = tool_list()

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams | None
    ) -> ListToolsResult:
        return ListToolsResult(tools=tools)

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: CallToolRequestParams
    ) -> CallToolResult:
        try:
            bound = await bind(ctx)
        except DomainError as exc:
            return from_domain(exc)
        return await run_tool(bound, params.name, params.arguments)

    return Server(
        "crewboard",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
