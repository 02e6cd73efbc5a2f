"""/projects/{slug}/agents: the roster over HTTP."""

from __future__ import annotations

import httpx

from crewboard.services.projects import Role
from tests.support.factory import Factory
from tests.support.http import API, bearer, problem_code

AGENT_FIELDS = {"name", "domain", "tracker_path", "created_at"}
ROSTER = f"{API}/projects/web/agents"


async def _owner(factory: Factory) -> dict[str, str]:
    ann = await factory.user("ann@example.com")
    await factory.project("web", ann)
    return bearer(await factory.token(ann))


async def test_the_roster_round_trip(client: httpx.AsyncClient, factory: Factory) -> None:
    owner = await _owner(factory)
    created = await client.post(
        ROSTER, json={"name": "backend", "domain": "APIs and storage"}, headers=owner
    )
    assert created.status_code == 201, created.text
    agent = created.json()
    assert set(agent) == AGENT_FIELDS
    assert agent["tracker_path"] == ".claude/trackers/backend-tracker.md"
    assert agent["domain"] == "APIs and storage"

    custom = await client.post(
        ROSTER, json={"name": "qa", "tracker_path": ".claude/trackers/qa.md"}, headers=owner
    )
    assert custom.status_code == 201
    assert custom.json()["tracker_path"] == ".claude/trackers/qa.md"

    listed = await client.get(ROSTER, headers=owner)
    assert listed.status_code == 200
    assert [a["name"] for a in listed.json()["items"]] == ["backend", "qa"]
    assert listed.json()["next_cursor"] is None

    got = await client.get(f"{ROSTER}/backend", headers=owner)
    assert got.status_code == 200
    assert got.json() == agent

    changed = await client.patch(
        f"{ROSTER}/qa",
        json={"domain": "tests", "tracker_path": ".claude/trackers/qa/tracker.md"},
        headers=owner,
    )
    assert changed.status_code == 200
    assert (changed.json()["domain"], changed.json()["tracker_path"]) == (
        "tests",
        ".claude/trackers/qa/tracker.md",
    )

    removed = await client.delete(f"{ROSTER}/qa", headers=owner)
    assert removed.status_code == 204
    gone = await client.get(f"{ROSTER}/qa", headers=owner)
    assert gone.status_code == 404
    assert problem_code(gone) == "not-found"


async def test_roster_refusals(client: httpx.AsyncClient, factory: Factory) -> None:
    owner = await _owner(factory)
    await factory.agent("web", "backend")
    duplicate = await client.post(ROSTER, json={"name": "backend"}, headers=owner)
    assert duplicate.status_code == 409
    assert problem_code(duplicate) == "duplicate"

    outside = await client.post(
        ROSTER, json={"name": "frontend", "tracker_path": "../../etc/passwd"}, headers=owner
    )
    assert outside.status_code == 422
    assert problem_code(outside) == "invalid"
    assert outside.json()["field"] == "tracker_path"


async def test_an_agent_in_use_cannot_be_removed(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    owner = await _owner(factory)
    await factory.agent("web", "backend")
    await factory.user("bob@example.com")
    await factory.member("web", "bob@example.com", Role.AGENT, "backend")
    response = await client.delete(f"{ROSTER}/backend", headers=owner)
    assert response.status_code == 409
    assert problem_code(response) == "agent-in-use"


async def test_viewers_read_but_do_not_change_the_roster(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await _owner(factory)
    await factory.agent("web", "backend")
    dave = await factory.user("dave@example.com")
    await factory.member("web", "dave@example.com", Role.VIEWER)
    viewer = bearer(await factory.token(dave))
    assert (await client.get(ROSTER, headers=viewer)).status_code == 200
    for response in (
        await client.post(ROSTER, json={"name": "qa"}, headers=viewer),
        await client.patch(f"{ROSTER}/backend", json={"domain": "x"}, headers=viewer),
        await client.delete(f"{ROSTER}/backend", headers=viewer),
    ):
        assert response.status_code == 403
