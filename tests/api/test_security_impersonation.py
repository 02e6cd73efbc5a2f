"""Impersonation through REST: the identity recorded is always the credential's.

An agent token (alpha's ``backend``, ``tok_a``) tries to name someone else everywhere a
request could: body fields the schemas do not declare (refused, 422: strict schemas), the
declared ones (``owner``, ``lead``; ``as_agent`` has its own rows in the matrix), query
parameters and proxy-style headers (ignored). What gets recorded (message sender, task
creator and owner, changelog agent, event actor) is then read back from the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import ChangelogEntry, Event, Message, Task
from crewboard.services.core import unit_of_work
from tests.api.harness import API, assert_problem, error_locs, json_bodies, quiet_settings
from tests.api.matrix import Row, World, build_world
from tests.api.test_security_csrf import WRITE_ROWS
from tests.support.database import snapshot
from tests.support.http import bearer

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

# Names a body could use to claim an identity; each must be refused where not declared.
IDENTITY_FIELDS = (
    "sender",
    "from",
    "from_",
    "owner",
    "agent",
    "agent_name",
    "created_by",
    "actor",
    "tracker",
    "user_id",
    "as_agent",
    "author",
    "lead",
    "user",
)
# The identity-like fields some bodies do declare, each tested for what it may do:
# as_agent in the matrix (an agent naming another is 403 impersonation), the token fields
# in the matrix (agent tokens issue none), owner/lead/tracker below.
DECLARED = {
    "POST /projects/{slug}/tasks/claim": {"as_agent", "tracker"},
    "POST /projects/{slug}/tasks/{number}/claim": {"as_agent"},
    "POST /projects/{slug}/tasks/{number}/start": {"as_agent"},
    "POST /projects/{slug}/tasks/{number}/block": {"as_agent"},
    "POST /projects/{slug}/tasks/{number}/unblock": {"as_agent"},
    "POST /projects/{slug}/tasks/{number}/complete": {"as_agent"},
    "POST /projects/{slug}/tasks/{number}/release": {"as_agent"},
    "POST /projects/{slug}/tasks/{number}/follow-ups": {"as_agent", "tracker"},
    "POST /projects/{slug}/tasks": {"as_agent", "tracker"},
    "PATCH /projects/{slug}/tasks/{number}": {"as_agent", "owner", "tracker"},
    "POST /tokens": {"agent_name", "user_id"},
    "PUT /projects/{slug}/members": {"agent_name"},
    "POST /projects/{slug}/teams": {"lead"},
    "PATCH /projects/{slug}/teams/{team}": {"lead"},
    "POST /projects/{slug}/changelog": {"as_agent"},
    # A crew credential names the agent it becomes: only one its person may act as
    # (tests/services/accounts/test_crew.py).
    "POST /crew/exchange": {"agent"},
}
SPOOF_HEADERS = {
    "x-agent": "qa",
    "x-crewboard-agent": "qa",
    "x-forwarded-for": "10.9.9.9",
    "x-forwarded-user": "qa",
    "x-remote-user": "owner@example.com",
    "x-user": "admin",
    "forwarded": "for=10.9.9.9;by=qa",
    "x-real-ip": "10.9.9.9",
}
SPOOF_QUERY = {"as_agent": "qa", "sender": "qa", "agent": "qa", "from": "qa", "user_id": "1"}
ME = "backend"


def body_fields() -> dict[str, set[str]]:
    """The properties of each operation's JSON body, from the OpenAPI document."""
    found: dict[str, set[str]] = {}
    for method, path, model in json_bodies():
        assert model.get("additionalProperties") is False, (method, path)
        found[f"{method} {path}"] = set(model["properties"])
    return found


BODIES = body_fields()


def test_declared_identity_fields_are_the_reviewed_ones() -> None:
    """A new body field that could name an identity fails here until it is reviewed."""
    declared = {key: names & set(IDENTITY_FIELDS) for key, names in BODIES.items()}
    assert {key: names for key, names in declared.items() if names} == DECLARED


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[World]:
    settings = quiet_settings(base_settings).model_copy(update={"jobs_enabled": False})
    async with build_world(migrated_database, settings) as world:
        yield world


CASES = [key for key in BODIES if tuple(key.split(" ", 1)) in WRITE_ROWS]


@pytest.mark.parametrize("key", CASES)
async def test_undeclared_identity_fields_are_refused(world: World, key: str) -> None:
    """All of them in one body: each is reported (extra fields are errors one by one)."""
    method, route = key.split(" ", 1)
    row: Row = WRITE_ROWS[(method, route)]
    call = await row.prepare(world, "tok_a", row.route)
    undeclared = [name for name in IDENTITY_FIELDS if name not in BODIES[key]]
    body: dict[str, Any] = {**(call.body or {}), **dict.fromkeys(undeclared, "qa")}
    before = await snapshot(world.database)
    response = await world.client.request(
        method,
        API + call.path,
        json=body,
        headers={**bearer(world.tokens["tok_a"]), **call.headers},
    )
    problem = assert_problem(response, 422, "validation")
    locs = error_locs(problem)
    for name in undeclared:
        assert ["body", name] in locs, name
    assert await snapshot(world.database) == before


async def last(world: World, model: Any, order: Any) -> Any:
    async with unit_of_work(world.database, write=False) as session:
        return await session.scalar(select(model).order_by(order.desc()).limit(1))


async def send_as_me(world: World, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A write by tok_a with every spoofing header and query parameter; its JSON answer."""
    response = await world.client.post(
        API + path,
        json=body,
        params=SPOOF_QUERY,
        headers={**bearer(world.tokens["tok_a"]), **SPOOF_HEADERS},
    )
    assert response.status_code in (200, 201), response.text[:300]
    answer: dict[str, Any] = response.json()
    return answer


async def assert_event_by_me(world: World) -> None:
    event = await last(world, Event, Event.id)
    assert event.actor.startswith(f"{ME} ("), event.actor
    assert "qa" not in event.actor


async def test_headers_and_query_do_not_change_who_sends(world: World) -> None:
    await send_as_me(world, "/projects/alpha/messages", {"to": "qa", "body": "from me"})
    message = await last(world, Message, Message.id)
    assert (message.sender, message.body) == (ME, "from me")
    await assert_event_by_me(world)


async def test_headers_and_query_do_not_change_who_creates(world: World) -> None:
    # Putting a task on qa's tracker is allowed; it is still backend's task to have made.
    task = await send_as_me(world, "/projects/alpha/tasks", {"title": "For qa", "tracker": "qa"})
    stored = await last(world, Task, Task.id)
    assert (stored.number, stored.tracker) == (task["number"], "qa")
    assert stored.created_by.startswith(ME)
    assert "qa" not in stored.created_by
    await assert_event_by_me(world)
    entry = {"title": "Mine", "problem": "p", "fix": "f", "verified": "v"}
    await send_as_me(world, "/projects/alpha/changelog", entry)
    logged = await last(world, ChangelogEntry, ChangelogEntry.id)
    assert logged.agent == ME
    await assert_event_by_me(world)
    claimed = await send_as_me(world, f"/projects/alpha/tasks/{task['number']}/claim", {})
    assert claimed["owner"] == ME


async def test_an_agent_cannot_hand_a_task_to_another_or_make_it_lead(world: World) -> None:
    headers = bearer(world.tokens["tok_a"])
    made = await world.client.post(
        f"{API}/projects/alpha/tasks", json={"title": "Unowned", "tracker": ME}, headers=headers
    )
    number, version = made.json()["number"], made.json()["version"]
    before = await snapshot(world.database)
    handed = await world.client.patch(
        f"{API}/projects/alpha/tasks/{number}",
        json={"owner": "qa", "version": version},
        headers=headers,
    )
    assert handed.status_code == 403, handed.text
    team = await world.client.post(
        f"{API}/projects/alpha/teams", json={"name": "posing", "lead": "qa"}, headers=headers
    )
    assert team.status_code == 403, team.text
    assert await snapshot(world.database) == before
