"""The HTTP door of ``/mcp``: no answer leaves before the credential is accepted."""

from __future__ import annotations

import asyncio
import logging

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.edge.faces import MCP_HEADERS, crew, faces_client, rpc
from tests.support.database import row_counts
from tests.support.factory import Factory
from tests.support.mcp import http_agent
from tests.support.world import World

# Tool calls the SDK answers itself, without running a tool.
MALFORMED = {
    "no name": rpc("tools/call", {}),
    "arguments not an object": rpc("tools/call", {"name": "TaskList", "arguments": [1]}),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=list(MALFORMED))
async def test_a_malformed_tool_call_with_a_bad_token_is_still_401(
    body: dict[str, object], database: Database, settings: Settings, factory: Factory
) -> None:
    w = await crew(database, settings, factory)
    revoked = await w.revoke(await w.agent_token())
    async with faces_client(settings, database) as http:
        for token, code in (
            ("cb_unknown", "invalid-token"),
            (revoked, "revoked-token"),
            (await w.person_token(), "agent-token-required"),
        ):
            headers = {**MCP_HEADERS, "authorization": f"Bearer {token}"}
            response = await http.post("/mcp", json=body, headers=headers)
            assert response.status_code == 401, response.text
            assert response.json()["error"] == code
        # The same call with a good token gets the SDK's own answer.
        headers = {**MCP_HEADERS, "authorization": f"Bearer {await w.agent_token()}"}
        response = await http.post("/mcp", json=body, headers=headers)
        assert response.status_code != 401, response.text
        assert "error" in response.json(), response.text


async def test_a_client_hanging_up_mid_request_is_not_an_error(
    mcp_url: str, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """An agent that stops while sending a call (a closed laptop, a killed process) is
    normal: logged at INFO, no traceback, no ERROR record, and the server keeps serving."""
    host, port = mcp_url.removeprefix("http://").split(":")
    body = b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "TaskList"}}'
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {world.tokens['backend']}\r\n"
        "Accept: application/json, text/event-stream\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body) + 40}\r\n\r\n"
    ).encode()
    caplog.set_level(logging.INFO)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(head + body[:30])
    await writer.drain()
    await asyncio.sleep(0.3)
    writer.close()
    await writer.wait_closed()
    del reader
    async with http_agent(mcp_url, world.tokens["backend"]) as agent:
        assert (await agent.ok("TaskList"))["tasks"] == []
    records = caplog.records
    assert [r for r in records if r.levelno >= logging.ERROR] == []
    assert not any(r.exc_info for r in records)
    assert any("went away" in r.getMessage() for r in records)
    access = [r.getMessage() for r in records if r.name == "crewboard.access"]
    assert any(line.startswith("POST /mcp 499 ") for line in access), access


RAW_CALLS = {
    "metadata NaN": b'"metadata": {"k": NaN}',
    "metadata -Infinity": b'"metadata": {"k": -Infinity}',
    "metadata 1e999": b'"metadata": {"k": 1e999}',
    "metadata surrogate": b'"metadata": {"k": "\\ud800"}',
    "subject surrogate": b'"subject": "a\\udfffb"',
}


@pytest.mark.parametrize("fragment", RAW_CALLS.values(), ids=list(RAW_CALLS))
async def test_non_json_numbers_and_surrogates_are_tool_errors(
    fragment: bytes, database: Database, settings: Settings, factory: Factory
) -> None:
    """What the official client cannot even send (a lone surrogate, NaN as JSON's
    non-standard token) a raw client can. Non-finite numbers reach the tool and are a tool
    error; the SDK's parser refuses a lone surrogate itself (JSON-RPC parse error, 400).
    Either way, nothing is written."""
    w = await crew(database, settings, factory)
    headers = {
        **MCP_HEADERS,
        "authorization": f"Bearer {await w.agent_token()}",
        "content-type": "application/json",
    }
    arguments = b'{"subject": "x", "description": "", ' + fragment + b"}"
    if fragment.startswith(b'"subject"'):
        arguments = b'{"description": "", ' + fragment + b"}"
    body = (
        b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", '
        b'"params": {"name": "TaskCreate", "arguments": ' + arguments + b"}}"
    )
    before = await row_counts(database)
    async with faces_client(settings, database) as http:
        response = await http.post("/mcp", content=body, headers=headers)
    if b"\\u" in fragment:
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == -32700  # parse error
    else:
        assert response.status_code == 200, response.text
        result = response.json()["result"]
        assert result["isError"] is True, result
        assert "metadata" in result["content"][0]["text"]
    assert await row_counts(database) == before
