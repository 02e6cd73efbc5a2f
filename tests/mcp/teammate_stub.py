"""A stand-in for a Claude Code teammate process, for tests/mcp/test_crew.py: started with
the arguments Claude Code gives a teammate (``--agent-id NAME@TEAM --agent-name NAME …``) and
the lead's environment, it starts ``crewboard mcp`` as its own child (as a Claude Code
session starts its MCP servers), creates a task, and prints the answer as one JSON line;
then, on each line read from stdin, lists tasks and prints whether that worked."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from mcp.client import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp_types import TextContent

TIMEOUT = 60.0


def _say(**fields: object) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def _text(result: object) -> str:
    blocks = getattr(result, "content", [])
    return "".join(b.text for b in blocks if isinstance(b, TextContent))


async def main() -> None:
    server = StdioServerParameters(
        command=sys.executable, args=["-m", "crewboard", "mcp"], env=dict(os.environ)
    )
    try:
        async with (
            stdio_client(server) as (read, write),
            ClientSession(read, write, read_timeout_seconds=TIMEOUT) as session,
        ):
            await session.initialize()
            made = await session.call_tool("TaskCreate", {"subject": "hello", "description": ""})
            _say(step="create", error=made.is_error, text=_text(made))
            for _ in sys.stdin:
                listed = await session.call_tool("TaskList", {})
                _say(step="list", error=listed.is_error, text=_text(listed))
    except Exception as exc:  # noqa: BLE001 - the test reads what became of the relay
        _say(step="start", error=True, text=f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    asyncio.run(main())
