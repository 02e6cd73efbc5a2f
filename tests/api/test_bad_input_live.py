"""Bad live-stream requests get a validation problem before any stream starts."""

from __future__ import annotations

import httpx
import pytest

from tests.api.harness import assert_problem, error_locs
from tests.support.factory import Factory
from tests.support.http import bearer

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

EVENTS = "/api/v1/projects/alpha/events"
CASES = [
    ({"Last-Event-ID": "abc"}, {}, ["header", "Last-Event-ID"]),
    ({"Last-Event-ID": "-1"}, {}, ["header", "Last-Event-ID"]),
    ({"Last-Event-ID": "9" * 19}, {}, ["header", "Last-Event-ID"]),
    ({}, {"after": "-1"}, ["query", "after"]),
    ({}, {"after": "x"}, ["query", "after"]),
    ({}, {"kind": "Task."}, ["query", "kind", 0]),
    ({}, {"kind": "task%"}, ["query", "kind", 0]),
    ({}, {"kind": "t" * 65}, ["query", "kind", 0]),
    ({}, {"subject": ""}, ["query", "subject"]),
    ({}, {"once": "maybe"}, ["query", "once"]),
]


@pytest.mark.parametrize(("headers", "params", "loc"), CASES)
async def test_bad_stream_request_is_refused(
    client: httpx.AsyncClient,
    factory: Factory,
    headers: dict[str, str],
    params: dict[str, str],
    loc: list[str | int],
) -> None:
    owner = await factory.user("owner@example.com")
    await factory.project("alpha", owner)
    token = await factory.token(owner)
    response = await client.get(EVENTS, params=params, headers={**bearer(token), **headers})
    body = assert_problem(response, 422, "validation")
    assert loc in error_locs(body)


async def test_too_many_kinds_are_refused(client: httpx.AsyncClient, factory: Factory) -> None:
    owner = await factory.user("owner@example.com")
    await factory.project("alpha", owner)
    token = await factory.token(owner)
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("kind", f"k{i}") for i in range(21)
    ]
    response = await client.get(EVENTS, params=params, headers=bearer(token))
    assert_problem(response, 422, "validation")
