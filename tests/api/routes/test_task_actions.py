"""The task verbs over HTTP: claim, start, block, unblock, complete, release, renew;
dependencies, follow-ups and history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from crewboard.models import utcnow
from crewboard.models.tasks import Task
from crewboard.services.core import unit_of_work
from tests.api.routes.task_http import CHANGELOG, TASKS, ok, refused, walk
from tests.support.world import World


async def _add(client: httpx.AsyncClient, world: World, title: str, **fields: Any) -> None:
    ok(await client.post(TASKS, json={"title": title, **fields}, headers=world.headers()), 201)


async def _verb(
    client: httpx.AsyncClient, world: World, agent: str | None, path: str, **body: Any
) -> httpx.Response:
    return await client.post(f"{TASKS}/{path}", json=body, headers=world.headers(agent))


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_claim_a_given_task(client: httpx.AsyncClient, world: World) -> None:
    await _add(client, world, "first")
    await _add(client, world, "second", blocked_by=[1])
    before = utcnow()
    claimed = ok(await _verb(client, world, "backend", "1/claim"))
    assert (claimed["owner"], claimed["status"], claimed["version"]) == (
        "backend",
        "in_progress",
        2,
    )
    lease = _when(claimed["lease_expires_at"])
    assert before + timedelta(minutes=world.settings.lease_minutes) <= lease
    taken = await _verb(client, world, "qa", "1/claim")
    assert refused(taken, 409) == "already-claimed"
    assert (taken.json()["owner"], "backend" in taken.json()["detail"]) == ("backend", True)
    assert refused(await _verb(client, world, "backend", "1/claim"), 409) == "already-yours"
    waiting = await _verb(client, world, "qa", "2/claim")
    assert refused(waiting, 409) == "blocked"
    assert waiting.json()["blocked_by"] == [1]
    assert refused(await _verb(client, world, "qa", "9/claim"), 404) == "not-found"
    # A person claims as a named agent, or not at all.
    assert refused(await _verb(client, world, None, "2/claim"), 422) == "invalid"
    history = ok(await client.get(f"{TASKS}/1/history", headers=world.headers()))["items"]
    # #2 waiting on #1 is in #1's history too.
    assert [e["kind"] for e in history] == ["task.created", "task.dependents_added", "task.claimed"]


async def test_claim_the_next_ready_task(client: httpx.AsyncClient, world: World) -> None:
    await _add(client, world, "shared p2")
    await _add(client, world, "qa p0", tracker="qa", priority=0)
    await _add(client, world, "backend p1", tracker="backend", priority=1)
    await _add(client, world, "backend p3", tracker="backend", priority=3)
    order = [ok(await _verb(client, world, "backend", "claim"))["number"] for _ in range(3)]
    assert order == [3, 1, 4]
    nothing = await _verb(client, world, "backend", "claim")
    assert refused(nothing, 404) == "nothing-ready"
    assert ok(await _verb(client, world, "backend", "claim", anywhere=True))["number"] == 2
    await _add(client, world, "qa p2", tracker="qa")
    lead_for_qa = await _verb(client, world, None, "claim", tracker="qa", as_agent="reviewer")
    assert (ok(lead_for_qa)["number"], ok(lead_for_qa)["owner"]) == (5, "reviewer")
    assert refused(await _verb(client, world, "qa", "claim", shared_only=True), 404) == (
        "nothing-ready"
    )


async def test_start_claims_or_resumes(client: httpx.AsyncClient, world: World) -> None:
    await _add(client, world, "ready one")
    await _add(client, world, "mine", tracker="backend")
    started = ok(await _verb(client, world, "qa", "1/start"))
    assert (started["updated_fields"], started["status_change"]) == (
        ["owner", "status"],
        ["pending", "in_progress"],
    )
    assert (started["task"]["owner"], started["task"]["status"]) == ("qa", "in_progress")
    assert refused(await _verb(client, world, "backend", "1/start"), 403) == "forbidden"
    ok(await _verb(client, world, "backend", "2/start"))
    ok(await _verb(client, world, "backend", "2/block", reason="needs schema"))
    resumed = ok(await _verb(client, world, "backend", "2/start"))
    assert resumed["status_change"] == ["blocked", "in_progress"]
    task = resumed["task"]
    assert (task["owner"], task["blocked_reason"], task["lease_expires_at"] is None) == (
        "backend",
        None,
        False,
    )
    stale = await _verb(client, world, "backend", "2/start", version=1)
    assert refused(stale, 409) == "version-conflict"


async def test_block_names_the_reason_and_the_agent_needed(
    client: httpx.AsyncClient, world: World
) -> None:
    await _add(client, world, "api", tracker="backend")
    ok(await _verb(client, world, "backend", "1/start"))
    unknown = await _verb(client, world, "backend", "1/block", reason="x", needs_agent="ghost")
    assert refused(unknown, 404) == "not-found"
    assert unknown.json()["field"] == "needs_agent"
    assert refused(await _verb(client, world, "backend", "1/block"), 422) == "validation"
    assert (await world.get(1)).status == "in_progress"
    blocked = ok(
        await _verb(
            client,
            world,
            "backend",
            "1/block",
            reason="waits on the schema",
            needs_agent="architect",
        )
    )
    assert blocked["status_change"] == ["in_progress", "blocked"]
    task = blocked["task"]
    assert (task["blocked_reason"], task["needs_agent"], task["owner"]) == (
        "waits on the schema",
        "architect",
        "backend",
    )
    assert task["lease_expires_at"] is None
    # Blocking a blocked task again updates the record instead of dropping the new reason.
    again = ok(
        await _verb(client, world, "backend", "1/block", reason="now waits on qa", needs_agent="qa")
    )
    assert again["status_change"] is None
    assert sorted(again["updated_fields"]) == ["blocked_reason", "needs_agent"]
    assert (again["task"]["blocked_reason"], again["task"]["needs_agent"]) == (
        "now waits on qa",
        "qa",
    )


async def test_unblock_resumes_an_owned_task_and_requeues_an_unowned_one(
    client: httpx.AsyncClient, world: World
) -> None:
    await _add(client, world, "owned", tracker="backend")
    await _add(client, world, "unowned", tracker="qa")
    ok(await _verb(client, world, "backend", "1/start"))
    ok(await _verb(client, world, "backend", "1/block", reason="r", needs_agent="qa"))
    ok(await _verb(client, world, None, "2/block", reason="no owner yet"))
    resumed = ok(await _verb(client, world, "backend", "1/unblock"))
    assert resumed["status_change"] == ["blocked", "in_progress"]
    assert (resumed["task"]["owner"], resumed["task"]["needs_agent"]) == ("backend", None)
    requeued = ok(await _verb(client, world, "qa", "2/unblock"))
    assert requeued["status_change"] == ["blocked", "pending"]
    assert (requeued["task"]["owner"], requeued["task"]["blocked_reason"]) == (None, None)
    again = await _verb(client, world, "qa", "2/unblock")
    assert refused(again, 409) == "not-blocked"


async def test_complete_with_and_without_a_changelog_entry(
    client: httpx.AsyncClient, world: World
) -> None:
    await _add(client, world, "plain", tracker="backend")
    await _add(client, world, "logged", tracker="backend")
    plain = ok(
        await _verb(
            client,
            world,
            "backend",
            "1/complete",
            outcome="Done plainly",
            files=["a.py", "a.py", "b.py"],
            verified="pytest: 3 passed",
        )
    )
    assert (plain["status_change"], plain["changelog"]) == (["pending", "completed"], None)
    task = plain["task"]
    assert (task["outcome"], task["files"], task["verified"], task["owner"]) == (
        "Done plainly",
        ["a.py", "b.py"],
        "pytest: 3 passed",
        "backend",
    )
    assert task["completed_at"] is not None
    # Completing it again would overwrite the record: refused, the record kept.
    again = await _verb(client, world, "backend", "1/complete", outcome="again")
    assert refused(again, 409) == "already-completed"
    assert ((await world.get(1)).outcome, (await world.get(1)).files) == (
        "Done plainly",
        ["a.py", "b.py"],
    )
    entry = {"title": "Logged", "problem": "p", "fix": "f", "verified": "v"}
    # A person completing names the agent who wrote the entry, or nothing changes.
    nameless = await _verb(client, world, None, "2/complete", outcome="o", changelog=entry)
    assert refused(nameless, 422) == "invalid"
    assert (await world.get(2)).status == "pending"
    assert ok(await client.get(CHANGELOG, headers=world.headers()))["items"] == []
    done = ok(
        await _verb(
            client,
            world,
            "backend",
            "2/complete",
            outcome="Logged it",
            files=["c.py"],
            changelog=entry,
        )
    )
    log = done["changelog"]
    assert (log["task_ids"], log["agent"], log["files"], log["title"]) == (
        [2],
        "backend",
        ["c.py"],
        "Logged",
    )
    assert log["created_by"].startswith("backend")
    listed = ok(await client.get(CHANGELOG, params={"task": 2}, headers=world.headers()))
    assert [e["id"] for e in listed["items"]] == [log["id"]]


async def test_a_completion_and_its_entry_share_files_and_verified(
    client: httpx.AsyncClient, world: World
) -> None:
    """One fact, one name: the entry takes the completion's ``verified`` and ``files``
    unless it names its own; with neither, the completion is refused and nothing changes."""
    await _add(client, world, "a", tracker="backend")
    await _add(client, world, "b", tracker="backend")
    bare = {"title": "Logged", "problem": "p", "fix": "f"}
    nothing = await _verb(client, world, "backend", "1/complete", outcome="o", changelog=bare)
    assert refused(nothing, 422) == "invalid"
    assert "verified" in nothing.json()["detail"]
    assert (await world.get(1)).status == "pending"
    assert ok(await client.get(CHANGELOG, headers=world.headers()))["items"] == []
    shared = ok(
        await _verb(
            client,
            world,
            "backend",
            "1/complete",
            outcome="o",
            files=["a.py"],
            verified="pytest -q",
            changelog=bare,
        )
    )
    assert (shared["changelog"]["verified"], shared["changelog"]["files"]) == (
        "pytest -q",
        ["a.py"],
    )
    own = {**bare, "verified": "read by qa", "files": ["b.md"]}
    done = ok(
        await _verb(
            client, world, "backend", "2/complete", outcome="o", verified="ran it", changelog=own
        )
    )
    assert (done["task"]["verified"], done["changelog"]["verified"]) == ("ran it", "read by qa")
    assert done["changelog"]["files"] == ["b.md"]
    old_name = await _verb(
        client, world, "backend", "2/complete", outcome="o", changelog={**own, "verification": "x"}
    )
    assert refused(old_name, 422) == "validation"


async def test_release_gives_the_task_back(client: httpx.AsyncClient, world: World) -> None:
    await _add(client, world, "t")
    ok(await _verb(client, world, "backend", "1/claim"))
    assert refused(await _verb(client, world, "qa", "1/release"), 403) == "forbidden"
    released = ok(await _verb(client, world, "backend", "1/release"))
    assert released["status_change"] == ["in_progress", "pending"]
    task = released["task"]
    assert (task["owner"], task["lease_expires_at"], task["status"]) == (None, None, "pending")
    assert ok(await _verb(client, world, "qa", "1/claim"))["owner"] == "qa"


async def test_renew_extends_the_lease_of_ones_own_task(
    client: httpx.AsyncClient, world: World
) -> None:
    await _add(client, world, "t")
    ok(await _verb(client, world, "backend", "1/claim"))
    async with unit_of_work(world.database, write=True) as session:
        await session.execute(
            update(Task).where(Task.number == 1).values(lease_expires_at=utcnow())
        )
    not_yours = await client.post(f"{TASKS}/1/renew", headers=world.headers("qa"))
    assert refused(not_yours, 409) == "not-yours"
    before = utcnow()
    renewed = ok(await client.post(f"{TASKS}/1/renew", headers=world.headers("backend")))
    lease = _when(renewed["lease_expires_at"])
    assert lease >= before + timedelta(minutes=world.settings.lease_minutes)
    assert (await world.get(1)).lease_expires_at == lease
    history = ok(await client.get(f"{TASKS}/1/history", headers=world.headers()))["items"]
    assert history[-1]["kind"] == "task.lease_renewed"
    ok(await _verb(client, world, "backend", "1/release"))
    assert refused(await client.post(f"{TASKS}/1/renew", headers=world.headers("backend")), 409)


async def test_dependencies_are_added_and_removed(client: httpx.AsyncClient, world: World) -> None:
    for title in ("a", "b", "c"):
        await _add(client, world, title)
    url = f"{TASKS}/3/dependencies"
    added = ok(await client.post(url, json={"blocked_by": [2, 1]}, headers=world.headers()))
    assert (added["blocked_by"], added["open_blockers"]) == ([1, 2], [1, 2])
    ok(
        await client.post(
            f"{TASKS}/2/dependencies", json={"blocked_by": [1]}, headers=world.headers()
        )
    )
    cycle = await client.post(
        f"{TASKS}/1/dependencies", json={"blocked_by": [3]}, headers=world.headers()
    )
    assert refused(cycle, 409) == "dependency-cycle"
    itself = await client.post(url, json={"blocked_by": [3]}, headers=world.headers())
    assert refused(itself, 422) == "dependency-cycle"
    unknown = await client.post(url, json={"blocked_by": [42]}, headers=world.headers())
    assert refused(unknown, 404) == "not-found"
    assert ok(await client.get(f"{TASKS}/1", headers=world.headers()))["blocked_by"] == []
    removed = ok(await client.delete(f"{url}/1", headers=world.headers()))
    assert removed["blocked_by"] == [2]
    assert refused(await client.delete(f"{url}/1", headers=world.headers()), 404) == "not-found"
    assert refused(await client.delete(f"{url}/42", headers=world.headers()), 404) == "not-found"
    assert refused(await client.delete(f"{url}/2", headers=world.headers("qa")), 403) == (
        "forbidden"
    )
    assert ok(await client.get(f"{TASKS}/1", headers=world.headers()))["blocks"] == [2]


async def test_no_side_door_around_the_dependency_rule(
    client: httpx.AsyncClient, world: World
) -> None:
    """``add_blocks`` on my task makes yours wait: refused as ``POST …/dependencies`` on
    yours is, with nothing changed."""
    await _add(client, world, "backend's", tracker="backend")
    await _add(client, world, "qa's", tracker="qa")
    side = await client.patch(
        f"{TASKS}/2", json={"add_blocks": [1], "version": 1}, headers=world.headers("qa")
    )
    assert refused(side, 403) == "forbidden"
    front = await client.post(
        f"{TASKS}/1/dependencies", json={"blocked_by": [2]}, headers=world.headers("qa")
    )
    assert refused(front, 403) == "forbidden"
    victim = ok(await client.get(f"{TASKS}/1", headers=world.headers("backend")))
    assert (victim["blocked_by"], victim["version"]) == ([], 1)


async def test_follow_ups_show_their_source(client: httpx.AsyncClient, world: World) -> None:
    await _add(client, world, "API", tracker="backend")
    url = f"{TASKS}/1/follow-ups"
    follow = ok(
        await client.post(
            url,
            json={"tracker": "frontend", "title": "Use the API", "priority": 1},
            headers=world.headers("backend"),
        ),
        201,
    )
    assert (follow["number"], follow["source"], follow["tracker"], follow["created_by"]) == (
        2,
        1,
        "frontend",
        "backend",
    )
    assert (follow["priority"], follow["status"], follow["owner"]) == (1, "pending", None)
    ok(
        await client.post(
            url, json={"tracker": "qa", "title": "Test it"}, headers=world.headers("backend")
        ),
        201,
    )
    listed = ok(await client.get(url, headers=world.headers("qa")))
    assert isinstance(listed, list)
    assert [(t["number"], t["source"]) for t in listed] == [(2, 1), (3, 1)]
    ghost = await client.post(
        url, json={"tracker": "ghost", "title": "x"}, headers=world.headers("backend")
    )
    assert refused(ghost, 404) == "not-found"
    assert refused(await client.get(f"{TASKS}/9/follow-ups", headers=world.headers()), 404)
    assert ok(await client.get(f"{TASKS}/2/follow-ups", headers=world.headers())) == []


async def test_history_pages_oldest_first_naming_the_agent(
    client: httpx.AsyncClient, world: World
) -> None:
    await _add(client, world, "h", tracker="backend")
    ok(await _verb(client, world, "backend", "1/start"))
    ok(await _verb(client, world, "backend", "1/block", reason="r"))
    ok(await _verb(client, world, "backend", "1/unblock"))
    ok(await _verb(client, world, "backend", "1/complete", outcome="o"))
    pages = await walk(client, f"{TASKS}/1/history", world.headers("qa"), {"limit": 2})
    assert [len(p) for p in pages] == [2, 2, 1]
    events = [e for page in pages for e in page]
    assert [e["kind"] for e in events] == ["task.created", "task.claimed"] + ["task.updated"] * 3
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)
    assert events[0]["actor"] == "lead@example.com"
    assert {e["actor"] for e in events[1:]} == {"backend (lead@example.com)"}
    assert [e["data"]["changes"]["status"] for e in events[2:]] == [
        ["in_progress", "blocked"],
        ["blocked", "in_progress"],
        ["in_progress", "completed"],
    ]
    assert {e["subject"] for e in events} == {"task:1"}
    assert refused(await client.get(f"{TASKS}/2/history", headers=world.headers()), 404)
