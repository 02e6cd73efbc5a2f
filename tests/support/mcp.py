"""The official MCP client, connected to crewboard over streamable HTTP or stdio."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
from mcp.client import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, TextContent

TIMEOUT = 60.0


@dataclass
class Agent:
    """One MCP session: call tools, read their text or JSON."""

    session: ClientSession

    async def call(self, name: str, **arguments: Any) -> CallToolResult:
        return await self.session.call_tool(name, arguments, read_timeout_seconds=TIMEOUT)

    async def text(self, name: str, **arguments: Any) -> str:
        """A successful call's text."""
        result = await self.call(name, **arguments)
        assert not result.is_error, _text(result)
        return _text(result)

    async def ok(self, name: str, **arguments: Any) -> Any:
        """A successful call's JSON."""
        return json.loads(await self.text(name, **arguments))

    async def error(self, name: str, code: str, **arguments: Any) -> str:
        """A failed call: its one-line message, which names ``code``."""
        result = await self.call(name, **arguments)
        text = _text(result)
        assert result.is_error, text
        assert text.startswith(f"error [{code}]: "), text
        assert "\n" not in text, text
        assert "Traceback" not in text, text
        return text


def _text(result: CallToolResult) -> str:
    (block,) = result.content
    assert isinstance(block, TextContent)
    return block.text


@asynccontextmanager
async def http_agent(url: str, token: str | None) -> AsyncIterator[Agent]:
    """A session over streamable HTTP at ``url/mcp`` with a Bearer token."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=TIMEOUT) as http,
        streamable_http_client(f"{url}/mcp", http_client=http) as (read, write),
        ClientSession(read, write, read_timeout_seconds=TIMEOUT) as session,
    ):
        await session.initialize()
        yield Agent(session)


@asynccontextmanager
async def stdio_agent(args: list[str], env: dict[str, str]) -> AsyncIterator[Agent]:
    """A session with ``python -m crewboard mcp ARGS`` spawned over stdio."""
    async with stdio_command(sys.executable, ["-m", "crewboard", "mcp", *args], env) as agent:
        yield agent


@asynccontextmanager
async def stdio_command(command: str, args: list[str], env: dict[str, str]) -> AsyncIterator[Agent]:
    """A session with ``command ARGS`` spawned over stdio, as a client's config names it."""
    params = StdioServerParameters(command=command, args=args, env=env)
    async with (
        stdio_client(params) as (read, write),
        ClientSession(read, write, read_timeout_seconds=TIMEOUT) as session,
    ):
        await session.initialize()
        yield Agent(session)
