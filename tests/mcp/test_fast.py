"""Plain ``tools/call`` requests answered without the SDK's per-request set-up (mcp/fast.py):
byte for byte the SDK's own answer, and everything unusual still left to the SDK."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.mcp.fast import plain_tool_call
from crewboard.server.app import create_app
from tests.support.http import client_for
from tests.support.world import World

ACCEPT = "application/json, text/event-stream"


def call(name: str, arguments: Any = None, ident: Any = 1, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name, **params}
    if arguments is not None:
        body["arguments"] = arguments
    return {"jsonrpc": "2.0", "id": ident, "method": "tools/call", "params": body}


# Read-only calls (both paths see the same state) and refusals of every kind.
SAME = {
    "get": call("TaskGet", {"taskId": "1"}),
    "list": call("TaskList", {}),
    "no arguments": call("TaskList"),
    "string id": call("TaskList", {}, ident="abc-1"),
    "big id": call("TaskList", {}, ident=2**53),
    "unknown tool": call("Nope", {}),
    "missing argument": call("TaskGet", {}),
    "not found": call("TaskGet", {"taskId": "999"}),
    "wrong type": call("TaskGet", {"taskId": ["1"]}),
    "unicode": call("TaskGet", {"taskId": "\u00e9\u2028😀"}),
}
VERSIONS = [None, "2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]


async def answers(
    http: httpx.AsyncClient, app: FastAPI, token: str, body: bytes, version: str | None
) -> tuple[tuple[int, str, bytes], tuple[int, str, bytes]]:
    """The fast path's answer and the SDK's, to the same request."""
    headers = {"authorization": f"Bearer {token}", "accept": ACCEPT}
    headers["content-type"] = "application/json"
    if version is not None:
        headers["mcp-protocol-version"] = version
    got = []
    for plain in (True, False):
        app.state.mcp.plain_calls = plain
        response = await http.post("/mcp", content=body, headers=headers)
        got.append((response.status_code, response.headers["content-type"], response.content))
    return got[0], got[1]


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_answer_is_the_sdks_byte_for_byte(
    version: str | None, world: World, database: Database, settings: Settings
) -> None:
    await world.task("first", tracker="backend")
    app = create_app(settings, database)
    async with client_for(app) as http:
        for name, body in SAME.items():
            raw = json.dumps(body).encode()
            fast, sdk = await answers(http, app, world.tokens["backend"], raw, version)
            assert fast == sdk, name


async def test_a_write_answers_as_the_sdk_does(
    world: World, database: Database, settings: Settings
) -> None:
    app = create_app(settings, database)
    raw = json.dumps(call("TaskCreate", {"subject": "same", "description": ""})).encode()
    async with client_for(app) as http:
        fast, sdk = await answers(http, app, world.tokens["backend"], raw, None)
    # Two tasks were created, #1 and #2: the answers differ only there.
    assert fast[:2] == sdk[:2] == (200, "application/json")
    created = [json.loads(json.loads(a[2])["result"]["content"][0]["text"]) for a in (fast, sdk)]
    assert created == [{"task": {"id": n, "subject": "same"}} for n in ("1", "2")]
    assert len(fast[2]) == len(sdk[2])


async def test_a_refused_credential_is_401_on_the_fast_path(
    world: World, database: Database, settings: Settings
) -> None:
    app = create_app(settings, database)
    raw = json.dumps(call("TaskList", {})).encode()
    async with client_for(app) as http:
        fast, sdk = await answers(http, app, "cb_unknown", raw, None)
    assert fast == sdk
    assert fast[0] == 401


def request(headers: dict[str, str]) -> Request:
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "headers": raw, "path": "/mcp"})


PLAIN_HEADERS = {"accept": ACCEPT, "content-type": "application/json"}
LEFT_TO_THE_SDK: dict[str, tuple[dict[str, str], bytes]] = {
    "batch": (PLAIN_HEADERS, b"[" + json.dumps(call("TaskList")).encode() + b"]"),
    "not json": (PLAIN_HEADERS, b"{"),
    "lone surrogate": (
        PLAIN_HEADERS,
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\\ud800"}}',
    ),
    "other method": (PLAIN_HEADERS, json.dumps({**call("x"), "method": "tools/list"}).encode()),
    "notification": (
        PLAIN_HEADERS,
        json.dumps({"jsonrpc": "2.0", "method": "tools/call", "params": {"name": "x"}}).encode(),
    ),
    "extra key": (PLAIN_HEADERS, json.dumps({**call("TaskList"), "x": 1}).encode()),
    "_meta": (PLAIN_HEADERS, json.dumps(call("TaskList", _meta={})).encode()),
    "float id": (PLAIN_HEADERS, json.dumps(call("TaskList", ident=1.5)).encode()),
    "bool id": (PLAIN_HEADERS, json.dumps(call("TaskList", ident=True)).encode()),
    "null id": (PLAIN_HEADERS, json.dumps(call("TaskList", ident=None)).encode()),
    "name not text": (PLAIN_HEADERS, json.dumps(call(1)).encode()),  # type: ignore[arg-type]
    "arguments a list": (PLAIN_HEADERS, json.dumps(call("TaskList", [1])).encode()),
    "old jsonrpc": (PLAIN_HEADERS, json.dumps({**call("TaskList"), "jsonrpc": "1.0"}).encode()),
    "no json accepted": (
        {**PLAIN_HEADERS, "accept": "text/event-stream"},
        json.dumps(call("TaskList")).encode(),
    ),
    "form body": (
        {**PLAIN_HEADERS, "content-type": "text/plain"},
        json.dumps(call("TaskList")).encode(),
    ),
    "modern version": (
        {**PLAIN_HEADERS, "mcp-protocol-version": "2026-07-28"},
        json.dumps(call("TaskList")).encode(),
    ),
    "unknown version": (
        {**PLAIN_HEADERS, "mcp-protocol-version": "1999-01-01"},
        json.dumps(call("TaskList")).encode(),
    ),
    "session": ({**PLAIN_HEADERS, "mcp-session-id": "abc"}, json.dumps(call("TaskList")).encode()),
}


@pytest.mark.parametrize("case", LEFT_TO_THE_SDK.values(), ids=list(LEFT_TO_THE_SDK))
async def test_anything_unusual_is_left_to_the_sdk(case: tuple[dict[str, str], bytes]) -> None:
    headers, body = case
    assert await plain_tool_call(request(headers), body) is None


async def test_a_plain_call_is_taken() -> None:
    found = await plain_tool_call(request(PLAIN_HEADERS), json.dumps(call("TaskList", {})).encode())
    assert found is not None
    assert (found.ident, found.name, found.arguments) == (1, "TaskList", {})
