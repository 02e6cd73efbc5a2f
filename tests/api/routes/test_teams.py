"""/projects/{slug}/teams, and the team of a task over /tasks (field, filter, claim-next)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.routes.task_http import TASKS, numbers, ok, refused
from tests.support.http import API
from tests.support.world import SLUG, World

TEAMS = f"{API}/projects/{SLUG}/teams"
TEAM_FIELDS = {"name", "description", "lead", "members", "tasks", "created_at"}


async def _create(client: httpx.AsyncClient, world: World, who: str | None, **body: Any) -> Any:
    return ok(await client.post(TEAMS, json=body, headers=world.headers(who)), 201)


async def test_create_list_get(client: httpx.AsyncClient, world: World) -> None:
    created = await _create(client, world, "frontend", name="web", description="Pages")
    assert set(created) == TEAM_FIELDS
    assert (created["name"], created["lead"], created["tasks"]) == ("web", "frontend", {})
    assert [m["name"] for m in created["members"]] == ["frontend"]
    await _create(client, world, None, name="api", lead="backend", members=["qa"])
    listed = ok(await client.get(TEAMS, params={"limit": 1}, headers=world.headers("qa")))
    assert [t["name"] for t in listed["items"]] == ["web"]
    rest = ok(
        await client.get(TEAMS, params={"cursor": listed["next_cursor"]}, headers=world.headers())
    )
    assert ([t["name"] for t in rest["items"]], rest["next_cursor"]) == (["api"], None)
    shown = ok(await client.get(f"{TEAMS}/api", headers=world.headers("qa")))
    assert sorted(m["name"] for m in shown["members"]) == ["backend", "qa"]
    assert refused(await client.get(f"{TEAMS}/nosuch", headers=world.headers()), 404) == "not-found"
    again = await client.post(TEAMS, json={"name": "web"}, headers=world.headers("qa"))
    assert refused(again, 409) == "duplicate"


async def test_change_and_members(client: httpx.AsyncClient, world: World) -> None:
    await _create(client, world, "frontend", name="web")
    lead = world.headers("frontend")
    added = ok(await client.post(f"{TEAMS}/web/members", json={"agents": ["qa"]}, headers=lead))
    assert [m["name"] for m in added["members"]] == ["frontend", "qa"]
    changed = ok(
        await client.patch(
            f"{TEAMS}/web", json={"description": "Pages", "lead": "qa"}, headers=lead
        )
    )
    assert (changed["description"], changed["lead"]) == ("Pages", "qa")
    cleared = ok(await client.patch(f"{TEAMS}/web", json={"lead": None}, headers=world.headers()))
    assert cleared["lead"] is None
    left = ok(await client.delete(f"{TEAMS}/web/members/qa", headers=world.headers("qa")))
    assert [m["name"] for m in left["members"]] == ["frontend"]
    gone = await client.delete(f"{TEAMS}/web/members/qa", headers=world.headers())
    assert refused(gone, 404) == "not-found"
    other = await client.post(
        f"{TEAMS}/web/members", json={"agents": ["backend", "qa"]}, headers=world.headers("backend")
    )
    assert refused(other, 403) == "forbidden"


async def test_tasks_of_a_team(client: httpx.AsyncClient, world: World) -> None:
    await _create(client, world, None, name="web", members=["frontend", "qa"])
    lead = world.headers()
    task = ok(await client.post(TASKS, json={"title": "Page", "team": "web"}, headers=lead), 201)
    assert task["team"] == "web"
    ok(await client.post(TASKS, json={"title": "Elsewhere"}, headers=lead), 201)
    ok(
        await client.post(
            TASKS, json={"title": "Urgent", "team": "web", "priority": 0}, headers=lead
        ),
        201,
    )
    bad = await client.post(TASKS, json={"title": "x", "team": "ghost"}, headers=lead)
    assert refused(bad, 422) == "invalid"
    assert bad.json()["field"] == "team"
    listed = await client.get(TASKS, params={"team": "web"}, headers=lead)
    assert numbers(listed) == [1, 3]
    ready = await client.get(TASKS, params={"team": "web", "ready": "true"}, headers=lead)
    assert numbers(ready) == [3, 1]
    moved = ok(await client.patch(f"{TASKS}/2", json={"version": 1, "team": "web"}, headers=lead))
    assert (moved["task"]["team"], moved["updated_fields"]) == ("web", ["team"])
    off = ok(await client.patch(f"{TASKS}/2", json={"version": 2, "team": None}, headers=lead))
    assert off["task"]["team"] is None
    claim = await client.post(f"{TASKS}/claim", json={"team": "web"}, headers=world.headers("qa"))
    assert (ok(claim)["number"], ok(claim)["owner"], ok(claim)["team"]) == (3, "qa", "web")
    mixed = await client.post(
        f"{TASKS}/claim", json={"team": "web", "anywhere": True}, headers=world.headers("qa")
    )
    assert refused(mixed, 422) == "invalid"
    counts = ok(await client.get(f"{TEAMS}/web", headers=lead))["tasks"]
    assert counts == {"pending": 1, "in_progress": 1}


async def test_the_task_list_etag_moves_when_a_team_is_deleted(
    client: httpx.AsyncClient, world: World
) -> None:
    await _create(client, world, None, name="web")
    ok(
        await client.post(TASKS, json={"title": "Page", "team": "web"}, headers=world.headers()),
        201,
    )
    first = await client.get(TASKS, headers=world.headers("qa"))
    etag = first.headers["etag"]
    unchanged = await client.get(TASKS, headers={**world.headers("qa"), "If-None-Match": etag})
    assert unchanged.status_code == 304
    ok(await client.delete(f"{TEAMS}/web", headers=world.headers()))
    after = await client.get(TASKS, headers={**world.headers("qa"), "If-None-Match": etag})
    assert after.status_code == 200
    assert after.json()["items"][0]["team"] is None


async def test_delete_busy_then_forced(client: httpx.AsyncClient, world: World) -> None:
    await _create(client, world, "qa", name="web")
    ok(
        await client.post(TASKS, json={"title": "Page", "team": "web"}, headers=world.headers()),
        201,
    )
    ok(await client.post(f"{TASKS}/1/claim", json={}, headers=world.headers("qa")))
    busy = await client.delete(f"{TEAMS}/web", headers=world.headers("qa"))
    assert refused(busy, 409) == "team-busy"
    assert busy.json()["tasks"] == [1]
    forced_by_lead = await client.delete(
        f"{TEAMS}/web", params={"force": "true"}, headers=world.headers("qa")
    )
    assert refused(forced_by_lead, 403) == "forbidden"
    done = ok(
        await client.delete(f"{TEAMS}/web", params={"force": "true"}, headers=world.headers())
    )
    assert (done["name"], done["released"], done["detached"]) == ("web", [1], 1)
    assert "deleted_at" in done
    task = ok(await client.get(f"{TASKS}/1", headers=world.headers()))
    assert (task["status"], task["owner"], task["team"]) == ("pending", None, None)
    history = ok(await client.get(f"{TASKS}/1/history", headers=world.headers()))["items"]
    assert history[-1]["data"]["reason"] == "team web deleted"
    assert refused(await client.get(f"{TEAMS}/web", headers=world.headers()), 404) == "not-found"
