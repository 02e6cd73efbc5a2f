"""Oversized bodies on every write route (REST from the OpenAPI document, and MCP): 413,
nothing changed, and the body is not read to its end first. Lists within a body have their
own bounds (422 one item over). The dashboard's forms: ``tests/web/test_body_limit.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.server.app import create_app
from tests.api.harness import API, assert_problem, error_locs, json_bodies, quiet_settings
from tests.api.matrix import World, build_world, fill
from tests.api.test_security_csrf import WRITE_ROWS
from tests.support.database import snapshot
from tests.support.http import bearer

LIMIT = 4096
CHUNK = 1024
CHUNKS = 1024  # a whole body would be 1 MiB, 256 times the limit
PATH_VALUES = {
    "number": "1",
    "blocker": "1",
    "team": "web",
    "agent": "qa",
    "message_id": "1",
    "hook_id": "1",
    "token_id": "1",
    "user_id": "1",
}


class Counted:
    """A chunked body that counts how much of it the server pulled."""

    def __init__(self, start: bytes = b'{"title": "') -> None:
        self.start = start
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.start
        for _ in range(CHUNKS):
            self.sent += 1
            yield b"x" * CHUNK


def write_routes() -> list[tuple[str, str]]:
    """Every operation that takes a body. (One that takes none never reads it: its body
    neither fills memory nor gets a 413.)"""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db"))
    return sorted(
        (method.upper(), path.removeprefix(API))
        for path, operations in app.openapi()["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    )


ROUTES = write_routes()


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[World]:
    settings = quiet_settings(base_settings).model_copy(
        update={"max_body_bytes": LIMIT, "jobs_enabled": False}
    )
    async with build_world(migrated_database, settings) as world:
        yield world


async def assert_refused(world: World, response: httpx.Response, before: Any) -> None:
    body = assert_problem(response, 413, "body-too-large")
    assert body["limit"] == LIMIT
    assert len(response.content) < 1024  # the body is not echoed
    assert await snapshot(world.database) == before


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
async def test_every_write_route_refuses_an_oversized_body(
    world: World, route: tuple[str, str], chunked: bool
) -> None:
    method, path = route
    url = API + fill(path, **PATH_VALUES)
    headers = {**bearer(world.tokens["admin"]), "content-type": "application/json"}
    before = await snapshot(world.database)
    if chunked:
        body = Counted()
        response = await world.client.request(method, url, content=body, headers=headers)
        assert "content-length" not in response.request.headers
        await assert_refused(world, response, before)
        # Refused once over the limit: the rest of the body was never pulled.
        assert body.sent <= LIMIT // CHUNK + 2
    else:
        content = b'{"title": "' + b"x" * LIMIT + b'"}'
        response = await world.client.request(method, url, content=content, headers=headers)
        await assert_refused(world, response, before)


async def test_mcp_refuses_an_oversized_body(world: World) -> None:
    agent = world.tokens["tok_a"]
    headers = {
        **bearer(agent),
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
    }
    # Its first use is recorded (once a day under these settings): before the snapshot.
    assert (await world.client.get(f"{API}/auth/me", headers=bearer(agent))).status_code == 200
    before = await snapshot(world.database)
    body = Counted(b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "')
    response = await world.client.post("/mcp", content=body, headers=headers)
    await assert_refused(world, response, before)
    assert body.sent <= LIMIT // CHUNK + 2
    declared = b'{"jsonrpc": "2.0", "id": 1, "method": "' + b"x" * LIMIT + b'"}'
    await assert_refused(
        world, await world.client.post("/mcp", content=declared, headers=headers), before
    )


def list_fields() -> list[tuple[str, str, int, dict[str, Any]]]:
    """(operation, field, maxItems, item schema) of every bounded list in a request body."""
    found = []
    for method, path, model in json_bodies():
        for name, prop in model["properties"].items():
            for option in prop.get("anyOf", [prop]):
                if option.get("type") == "array":
                    assert "maxItems" in option, (method, path, name)  # every list bounded
                    found.append(
                        (f"{method} {path}", name, option["maxItems"], option.get("items", {}))
                    )
    return found


LISTS = list_fields()
ITEMS = {"string": "qa", "integer": 1}


@pytest.mark.parametrize(("key", "name", "most", "item"), LISTS, ids=lambda v: str(v)[:60])
async def test_a_list_one_over_its_bound_is_422(
    world: World, key: str, name: str, most: int, item: dict[str, Any]
) -> None:
    method, path = key.split(" ", 1)
    row = WRITE_ROWS[(method, path)]
    call = await row.prepare(world, "admin", row.route)
    value = ITEMS.get(item.get("type", "string"), "qa")
    body = {**(call.body or {}), name: [value] * (most + 1)}
    before = await snapshot(world.database)
    response = await world.client.request(
        method,
        API + call.path,
        json=body,
        headers={**bearer(world.tokens["admin"]), **call.headers},
    )
    problem = assert_problem(response, 422, "validation")
    assert ["body", name] in error_locs(problem)
    assert any(e["type"] == "too_long" for e in problem["errors"]), problem
    assert await snapshot(world.database) == before
