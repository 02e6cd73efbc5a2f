"""/projects/{slug}/changelog: append-only entries, listed oldest first."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from crewboard.services.projects import Role
from tests.api.routes.task_http import CHANGELOG, TASKS, ok, refused, walk
from tests.support.factory import Factory
from tests.support.world import World

ENTRY_FIELDS = {
    "id",
    "agent",
    "title",
    "problem",
    "fix",
    "files",
    "verified",
    "task_ids",
    "created_by",
    "created_at",
}


def _entry(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "problem": "it broke",
        "fix": "mended it",
        "verified": "pytest: 9 passed",
        **extra,
    }


async def _tasks(client: httpx.AsyncClient, world: World, count: int) -> None:
    for i in range(count):
        ok(await client.post(TASKS, json={"title": f"t{i}"}, headers=world.headers()), 201)


async def _listed(client: httpx.AsyncClient, world: World, **params: Any) -> list[str]:
    page = ok(await client.get(CHANGELOG, params=params, headers=world.headers("qa")))
    return [entry["title"] for entry in page["items"]]


async def test_an_agent_appends_as_itself(client: httpx.AsyncClient, world: World) -> None:
    await _tasks(client, world, 3)
    appended = await client.post(
        CHANGELOG,
        json=_entry("Login", files=["src/login.py", "src/login.py"], task_ids=[3, 1, 3]),
        headers=world.headers("backend"),
    )
    entry = ok(appended, 201)
    assert set(entry) == ENTRY_FIELDS
    assert (entry["agent"], entry["created_by"]) == ("backend", "backend (lead@example.com)")
    assert (entry["title"], entry["problem"], entry["fix"], entry["verified"]) == (
        "Login",
        "it broke",
        "mended it",
        "pytest: 9 passed",
    )
    assert (entry["files"], entry["task_ids"]) == (["src/login.py"], [1, 3])
    impersonating = await client.post(
        CHANGELOG, json=_entry("Forged", as_agent="qa"), headers=world.headers("backend")
    )
    assert refused(impersonating, 403) == "impersonation"
    same = await client.post(
        CHANGELOG, json=_entry("Named self", as_agent="backend"), headers=world.headers("backend")
    )
    assert ok(same, 201)["agent"] == "backend"
    assert await _listed(client, world) == ["Login", "Named self"]


async def test_a_person_names_the_agent(client: httpx.AsyncClient, world: World) -> None:
    nameless = await client.post(CHANGELOG, json=_entry("Nobody"), headers=world.headers())
    assert refused(nameless, 422) == "invalid"
    assert nameless.json()["field"] == "as_agent"
    ghost = await client.post(
        CHANGELOG, json=_entry("Ghost", as_agent="ghost"), headers=world.headers()
    )
    assert refused(ghost, 404) == "not-found"
    named = await client.post(
        CHANGELOG, json=_entry("For qa", as_agent="qa"), headers=world.headers()
    )
    assert (ok(named, 201)["agent"], named.json()["created_by"]) == ("qa", "lead@example.com")
    assert await _listed(client, world) == ["For qa"]


async def test_list_oldest_first_and_filtered(client: httpx.AsyncClient, world: World) -> None:
    await _tasks(client, world, 2)
    for title, agent, tasks in (
        ("one", "backend", [1]),
        ("two", "qa", []),
        ("three", "backend", [1, 2]),
        ("four", "frontend", [2]),
    ):
        ok(
            await client.post(
                CHANGELOG, json=_entry(title, task_ids=tasks), headers=world.headers(agent)
            ),
            201,
        )
    assert await _listed(client, world) == ["one", "two", "three", "four"]
    assert await _listed(client, world, agent="backend") == ["one", "three"]
    assert await _listed(client, world, agent="reviewer") == []
    assert await _listed(client, world, task=1) == ["one", "three"]
    assert await _listed(client, world, task=2) == ["three", "four"]
    assert await _listed(client, world, task=2, agent="frontend") == ["four"]
    assert await _listed(client, world, task=99) == []
    page = ok(await client.get(CHANGELOG, headers=world.headers()))
    assert [e["task_ids"] for e in page["items"]] == [[1], [], [1, 2], [2]]
    pages = await walk(client, CHANGELOG, world.headers(), {"limit": 3})
    assert [[e["title"] for e in p] for p in pages] == [["one", "two", "three"], ["four"]]


async def test_unknown_tasks_append_nothing(client: httpx.AsyncClient, world: World) -> None:
    await _tasks(client, world, 1)
    missing = await client.post(
        CHANGELOG, json=_entry("Bad links", task_ids=[1, 7, 8]), headers=world.headers("qa")
    )
    assert refused(missing, 404) == "not-found"
    assert "#7, #8" in missing.json()["detail"]
    assert await _listed(client, world) == []
    history = ok(await client.get(f"{TASKS}/1/history", headers=world.headers()))["items"]
    assert [e["kind"] for e in history] == ["task.created"]


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_entries_cannot_be_changed_or_removed(
    client: httpx.AsyncClient, world: World, method: str
) -> None:
    entry = ok(await client.post(CHANGELOG, json=_entry("Kept"), headers=world.headers("qa")), 201)
    body = _entry("Rewritten")
    whole = await client.request(method, CHANGELOG, json=body, headers=world.headers())
    assert refused(whole, 405) == "method-not-allowed"
    # Starlette names only the methods of the first route on the path (here GET).
    assert "GET" in whole.headers["allow"]
    one = await client.request(
        method, f"{CHANGELOG}/{entry['id']}", json=body, headers=world.headers()
    )
    assert one.status_code in (404, 405)
    assert await _listed(client, world) == ["Kept"]


async def test_viewers_read_but_do_not_append(
    client: httpx.AsyncClient, world: World, factory: Factory
) -> None:
    uid = await factory.user("viewer@example.com")
    await factory.member("shop", "viewer@example.com", Role.VIEWER)
    viewer = {"authorization": f"Bearer {await factory.token(uid)}"}
    ok(await client.post(CHANGELOG, json=_entry("Seen"), headers=world.headers("qa")), 201)
    assert [e["title"] for e in ok(await client.get(CHANGELOG, headers=viewer))["items"]] == [
        "Seen"
    ]
    refusal = await client.post(CHANGELOG, json=_entry("No", as_agent="qa"), headers=viewer)
    assert refused(refusal, 403) == "forbidden"
    assert await _listed(client, world) == ["Seen"]
