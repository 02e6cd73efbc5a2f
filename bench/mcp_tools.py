"""The size of the MCP ``tools/list`` answer, whole and per tool.

    .venv/bin/python -m bench.mcp_tools

Prints the bytes of the JSON-RPC answer as the server sends it (compact JSON, as the SDK
serialises results) and an approximate token count (bytes / 4), then each tool's share.
"""

from __future__ import annotations

import json
import logging

from mcp_types import ListToolsResult

from crewboard.mcp.server import tool_list

logger = logging.getLogger("bench.mcp_tools")
BYTES_PER_TOKEN = 4


def _size(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def main() -> None:
    """Measure and print."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    tools = tool_list()
    result = ListToolsResult(tools=tools).model_dump(by_alias=True, exclude_none=True, mode="json")
    answer = {"jsonrpc": "2.0", "id": 1, "result": result}
    total = _size(answer)
    logger.info(
        "tools/list: %d tools, %d bytes, ~%d tokens", len(tools), total, total // BYTES_PER_TOKEN
    )
    for tool in tools:
        size = _size(tool.model_dump(by_alias=True, exclude_none=True, mode="json"))
        logger.info("  %-16s %5d bytes  ~%4d tokens", tool.name, size, size // BYTES_PER_TOKEN)


if __name__ == "__main__":
    main()
