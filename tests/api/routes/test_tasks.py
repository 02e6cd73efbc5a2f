"""/projects/{slug}/tasks: create, list (filters, ordering, cursors, ETag), get."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from crewboard.services.core import unit_of_work
from crewboard.services.tasks import Tasks
from tests.api.routes.task_http import CHANGELOG, TASK_FIELDS, TASKS, numbers, ok, refused, walk
from tests.support.factory import Factory
from tests.support.http import problem_code
from tests.support.world import World

Params = list[tuple[str, str | int | float | bool | None]]


async def _add(client: httpx.AsyncClient, world: World, title: str, **fields: Any) -> int:
    created = ok(
        await client.post(TASKS, json={"title": title, **fields}, headers=world.headers()), 201
    )
    number: int = created["number"]
    return number


async def _listed(client: httpx.AsyncClient, world: World, params: Params) -> list[int]:
    return numbers(await client.get(TASKS, params=params, headers=world.headers("qa")))


async def test_create_shows_every_field(client: httpx.AsyncClient, world: World) -> None:
    await _add(client, world, "schema", tracker="architect")
    created = ok(
        await client.post(
            TASKS,
            json={
                "title": "Add login",
                "description": "POST /login",
                "active_form": "Adding login",
                "tracker": "backend",
                "priority": 1,
                "metadata": {"area": "auth"},
                "blocked_by": [1],
            },
            headers=world.headers("architect"),
        ),
        201,
    )
    assert set(created) == TASK_FIELDS
    assert created["number"] == 2
    assert (created["title"], created["description"], created["active_form"]) == (
        "Add login",
        "POST /login",
        "Adding login",
    )
    assert (created["tracker"], created["owner"], created["status"], created["priority"]) == (
        "backend",
        None,
        "pending",
        1,
    )
    assert (created["blocked_by"], created["open_blockers"], created["blocks"]) == ([1], [1], [])
    assert (created["metadata"], created["version"], created["created_by"]) == (
        {"area": "auth"},
        1,
        "architect",
    )
    assert ok(await client.get(f"{TASKS}/1", headers=world.headers()))["blocks"] == [2]
    # A shared task: no tracker, default priority 2.
    shared = ok(await client.post(TASKS, json={"title": "chore"}, headers=world.headers()), 201)
    assert (shared["tracker"], shared["priority"], shared["created_by"]) == (
        None,
        2,
        "lead@example.com",
    )


async def test_each_filter_narrows_the_list(client: httpx.AsyncClient, world: World) -> None:
    await _add(client, world, "schema", tracker="architect", priority=0)
    await _add(client, world, "api", tracker="backend", priority=1, blocked_by=[1])
    await _add(client, world, "ui", tracker="frontend")
    await _add(client, world, "review", tracker="reviewer", priority=3)
    await _add(client, world, "chore")
    await _add(client, world, "late p3", priority=3)
    await _add(client, world, "late p0", priority=0)
    await _add(client, world, "later p3", priority=3)
    ok(await client.post(f"{TASKS}/1/claim", json={}, headers=world.headers("architect")))
    ok(await client.post(f"{TASKS}/3/start", json={}, headers=world.headers("frontend")))
    ok(
        await client.post(
            f"{TASKS}/3/block", json={"reason": "no design"}, headers=world.headers("frontend")
        )
    )
    ok(
        await client.post(
            f"{TASKS}/4/complete", json={"outcome": "looked"}, headers=world.headers("reviewer")
        )
    )
    ok(
        await client.patch(
            f"{TASKS}/5", json={"status": "cancelled", "version": 1}, headers=world.headers()
        )
    )

    assert await _listed(client, world, []) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert await _listed(client, world, [("tracker", "backend")]) == [2]
    assert await _listed(client, world, [("owner", "architect")]) == [1]
    assert await _listed(client, world, [("owner", "qa")]) == []
    assert await _listed(client, world, [("status", "pending")]) == [2, 6, 7, 8]
    assert await _listed(client, world, [("status", "in_progress"), ("status", "blocked")]) == [
        1,
        3,
    ]
    assert await _listed(client, world, [("status", "deleted")]) == [5]
    assert await _listed(client, world, [("status", "completed")]) == [4]
    assert await _listed(client, world, [("priority", "0")]) == [1, 7]
    assert await _listed(client, world, [("priority", "3"), ("status", "pending")]) == [6, 8]
    assert await _listed(client, world, [("tracker", "frontend"), ("owner", "frontend")]) == [3]
    # Ready: pending, unowned, no open blocker (#2 waits on #1); priority, then age.
    assert await _listed(client, world, [("ready", "true")]) == [7, 6, 8]
    assert await _listed(client, world, [("ready", "true"), ("priority", "3")]) == [6, 8]
    ok(
        await client.post(
            f"{TASKS}/1/complete", json={"outcome": "done"}, headers=world.headers("architect")
        )
    )
    assert await _listed(client, world, [("ready", "true")]) == [7, 2, 6, 8]
    assert await _listed(client, world, [("ready", "true"), ("tracker", "backend")]) == [2]
    unknown = await client.get(TASKS, params={"status": "done"}, headers=world.headers())
    assert refused(unknown, 422) == "validation"


async def test_text_search_ignores_case_and_takes_wildcards_literally(
    client: httpx.AsyncClient, world: World
) -> None:
    for title, description in (
        ("Login form", ""),
        ("Profile page", "shown after LOGIN"),
        ("Fix 100% CPU", ""),
        ("Fix 1000 CPU spikes", ""),
        ("rename snake_case names", ""),
        ("rename snakeXcase names", ""),
        ("path a/b", ""),
    ):
        await _add(client, world, title, description=description)
    assert await _listed(client, world, [("text", "lOgIn")]) == [1, 2]
    assert await _listed(client, world, [("text", "100%")]) == [3]
    assert await _listed(client, world, [("text", "%")]) == [3]
    assert await _listed(client, world, [("text", "e_c")]) == [5]
    assert await _listed(client, world, [("text", "_")]) == [5]
    assert await _listed(client, world, [("text", "a/b")]) == [7]
    assert await _listed(client, world, [("text", "nothing like it")]) == []
    assert await _listed(client, world, [("text", "cpu"), ("priority", "1")]) == []


@pytest.mark.parametrize("ready", [False, True])
async def test_cursors_walk_the_whole_set_once(
    client: httpx.AsyncClient, world: World, ready: bool
) -> None:
    async with unit_of_work(world.database, write=True) as session:
        service = Tasks(session, world.settings)
        for i in range(23):
            await service.create(world.lead, "shop", title=f"t{i + 1}", priority=(i * 7) % 4)
    params = {"limit": 5, "ready": "true"} if ready else {"limit": 5}
    pages = await walk(client, TASKS, world.headers("qa"), params)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    seen = [(t["priority"], t["number"]) for page in pages for t in page]
    expected = [((i - 1) * 7 % 4, i) for i in range(1, 24)]
    assert seen == (sorted(expected) if ready else expected)
    # A last page that is exactly full still says so.
    exact = await walk(client, TASKS, world.headers("qa"), {**params, "limit": 23})
    assert [len(p) for p in exact] == [23]


async def test_a_cursor_of_the_other_ordering_is_refused(
    client: httpx.AsyncClient, world: World
) -> None:
    for i in range(3):
        await _add(client, world, f"t{i}")
    by_number = ok(await client.get(TASKS, params={"limit": 1}, headers=world.headers()))
    by_priority = ok(
        await client.get(TASKS, params={"limit": 1, "ready": "true"}, headers=world.headers())
    )
    for params in (
        {"ready": "true", "cursor": by_number["next_cursor"]},
        {"cursor": by_priority["next_cursor"]},
        {"cursor": "not a cursor"},
    ):
        wrong = await client.get(TASKS, params=params, headers=world.headers())
        assert refused(wrong, 422) == "invalid-cursor"


async def test_the_list_etag_changes_with_the_project_only(
    client: httpx.AsyncClient, world: World, factory: Factory
) -> None:
    await _add(client, world, "watched", tracker="backend")
    await _add(client, world, "other task")
    headers = world.headers("qa")
    first = await client.get(TASKS, params={"status": "pending"}, headers=headers)
    etag = first.headers["etag"]
    assert etag.startswith('W/"')

    async def poll() -> httpx.Response:
        return await client.get(
            TASKS, params={"status": "pending"}, headers={**headers, "if-none-match": etag}
        )

    cached = await poll()
    assert (cached.status_code, cached.content, cached.headers["etag"]) == (304, b"", etag)
    # Another query has another ETag.
    assert (await client.get(TASKS, headers=headers)).headers["etag"] != etag
    # A change in another project leaves this one's list alone; so does a refused write.
    assert world.lead.user_id is not None
    await factory.project("elsewhere", world.lead.user_id)
    async with unit_of_work(world.database, write=True) as session:
        await Tasks(session, world.settings).create(world.lead, "elsewhere", title="far away")
    stale = await client.patch(
        f"{TASKS}/1", json={"title": "x", "version": 9}, headers=world.headers()
    )
    assert refused(stale, 409) == "version-conflict"
    assert (await poll()).status_code == 304

    async def changed() -> str:
        nonlocal etag
        fresh = await poll()
        assert fresh.status_code == 200
        assert fresh.headers["etag"] != etag
        etag = fresh.headers["etag"]
        assert (await poll()).status_code == 304
        return etag

    # Any change in the project: to a task the query does not even show, ...
    ok(await client.post(f"{TASKS}/2/claim", json={}, headers=world.headers("backend")))
    await changed()
    # ... a heartbeat (the lease and version shown in the list move), ...
    ok(await client.post(f"{TASKS}/2/renew", headers=world.headers("backend")))
    await changed()
    # ... or a changelog entry.
    entry = {"title": "t", "problem": "p", "fix": "f", "verified": "v"}
    ok(await client.post(CHANGELOG, json=entry, headers=world.headers("backend")), 201)
    await changed()


async def test_if_none_match_takes_a_list_of_tags(client: httpx.AsyncClient, world: World) -> None:
    await _add(client, world, "t")
    etag = (await client.get(TASKS, headers=world.headers())).headers["etag"]
    listed = await client.get(
        TASKS, headers={**world.headers(), "if-none-match": f'W/"0-other", {etag}'}
    )
    assert listed.status_code == 304
    unrelated = await client.get(TASKS, headers={**world.headers(), "if-none-match": 'W/"0-x"'})
    assert unrelated.status_code == 200


async def test_get_one_task_with_its_version_as_etag(
    client: httpx.AsyncClient, world: World
) -> None:
    await _add(client, world, "t", tracker="backend")
    got = await client.get(f"{TASKS}/1", headers=world.headers("qa"))
    assert ok(got)["version"] == 1
    etag = got.headers["etag"]
    assert etag.startswith('"1-')
    same = await client.get(f"{TASKS}/1", headers={**world.headers("qa"), "if-none-match": etag})
    assert (same.status_code, same.content, same.headers["etag"]) == (304, b"", etag)
    ok(
        await client.patch(
            f"{TASKS}/1", json={"priority": 0}, headers={**world.headers(), "if-match": etag}
        )
    )
    newer = await client.get(f"{TASKS}/1", headers={**world.headers("qa"), "if-none-match": etag})
    assert newer.status_code == 200
    assert newer.headers["etag"].startswith('"2-')
    assert newer.json()["priority"] == 0


async def test_a_finished_blocker_changes_the_etag_of_its_dependant(
    client: httpx.AsyncClient, world: World
) -> None:
    await _add(client, world, "blocker", tracker="backend")
    await _add(client, world, "waiting", tracker="qa", blocked_by=[1])
    first = await client.get(f"{TASKS}/2", headers=world.headers("qa"))
    assert first.json()["open_blockers"] == [1]
    ok(
        await client.post(
            f"{TASKS}/1/complete", json={"outcome": "done"}, headers=world.headers("backend")
        )
    )
    again = await client.get(
        f"{TASKS}/2", headers={**world.headers("qa"), "if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 200
    assert again.json()["open_blockers"] == []
    assert again.json()["version"] == first.json()["version"]
    assert refused(await client.get(f"{TASKS}/99", headers=world.headers()), 404) == "not-found"


async def test_outsiders_and_anonymous_callers_see_no_tasks(
    client: httpx.AsyncClient, world: World, factory: Factory
) -> None:
    await _add(client, world, "secret")
    outsider = {"authorization": f"Bearer {await factory.token(await factory.user('x@e.com'))}"}
    for response in (
        await client.get(TASKS, headers=outsider),
        await client.get(f"{TASKS}/1", headers=outsider),
        await client.get(TASKS, headers={**outsider, "if-none-match": "*"}),
    ):
        assert refused(response, 404) == "not-found"
    assert refused(await client.get(TASKS), 401) == "unauthenticated"


async def _history_kinds(client: httpx.AsyncClient, world: World, number: int) -> list[str]:
    page = ok(await client.get(f"{TASKS}/{number}/history", headers=world.headers()))
    return [event["kind"] for event in page["items"]]


async def test_an_update_names_its_version(client: httpx.AsyncClient, world: World) -> None:
    await _add(client, world, "t", tracker="backend")
    url, lead = f"{TASKS}/1", world.headers()
    missing = await client.patch(url, json={"title": "new"}, headers=lead)
    assert refused(missing, 428) == "version-required"
    assert missing.json()["status"] == 428
    for if_match, version in (('"2"', 1), ('"x"', None), ('"0"', None), ("", None)):
        bad = await client.patch(
            url, json={"title": "new", "version": version}, headers={**lead, "if-match": if_match}
        )
        assert refused(bad, 422) == "bad-if-match", if_match
    assert (await world.get(1)).title == "t"

    changed = await client.patch(url, json={"title": "new"}, headers={**lead, "if-match": '"1"'})
    body = ok(changed)
    assert set(body) == {"task", "updated_fields", "status_change"}
    assert (body["updated_fields"], body["status_change"]) == (["title"], None)
    assert (body["task"]["title"], body["task"]["version"]) == ("new", 2)
    assert changed.headers["etag"].startswith('"2-')
    # The ETag of the answer is the next If-Match.
    chained = await client.patch(
        url, json={"title": "newer"}, headers={**lead, "if-match": changed.headers["etag"]}
    )
    assert ok(chained)["task"]["version"] == 3
    # A weak tag and the body version are accepted too, and may agree with each other.
    weak = await client.patch(url, json={"priority": 0}, headers={**lead, "if-match": 'W/"3"'})
    assert ok(weak)["task"]["version"] == 4
    both = await client.patch(
        url, json={"priority": 1, "version": 4}, headers={**lead, "if-match": '"4"'}
    )
    assert ok(both)["task"]["version"] == 5
    assert ok(await client.patch(url, json={"priority": 2, "version": 5}, headers=lead))


async def test_a_stale_version_changes_nothing(client: httpx.AsyncClient, world: World) -> None:
    await _add(client, world, "t", tracker="backend")
    ok(
        await client.patch(
            f"{TASKS}/1", json={"title": "first", "version": 1}, headers=world.headers("backend")
        )
    )
    kinds = await _history_kinds(client, world, 1)
    stale = await client.patch(
        f"{TASKS}/1",
        json={"title": "second", "status": "in_progress", "metadata": {"k": 1}},
        headers={**world.headers(), "if-match": '"1"'},
    )
    assert refused(stale, 409) == "version-conflict"
    assert stale.json()["current_version"] == 2
    task = await world.get(1)
    assert (task.title, task.status, task.meta, task.version) == ("first", "pending", {}, 2)
    assert await _history_kinds(client, world, 1) == kinds


async def test_a_status_change_is_reported(client: httpx.AsyncClient, world: World) -> None:
    await _add(client, world, "t", tracker="backend")
    started = ok(
        await client.patch(
            f"{TASKS}/1",
            json={"status": "in_progress", "version": 1},
            headers=world.headers("backend"),
        )
    )
    assert started["status_change"] == ["pending", "in_progress"]
    assert sorted(started["updated_fields"]) == ["owner", "status"]
    assert (started["task"]["owner"], started["task"]["lease_expires_at"] is not None) == (
        "backend",
        True,
    )
    deleted = ok(
        await client.patch(
            f"{TASKS}/1", json={"status": "deleted", "version": 2}, headers=world.headers("backend")
        )
    )
    assert deleted["status_change"] == ["in_progress", "cancelled"]
    assert deleted["task"]["status"] == "cancelled"
    assert (await world.get(1)).status == "cancelled"


async def test_owner_null_releases_the_task(client: httpx.AsyncClient, world: World) -> None:
    await _add(client, world, "t", tracker="backend")
    claimed = ok(await client.post(f"{TASKS}/1/claim", json={}, headers=world.headers("qa")))
    released = ok(
        await client.patch(
            f"{TASKS}/1",
            json={"owner": None, "version": claimed["version"]},
            headers=world.headers("qa"),
        )
    )
    assert sorted(released["updated_fields"]) == ["owner", "status"]
    assert released["status_change"] == ["in_progress", "pending"]
    task = released["task"]
    assert (task["owner"], task["status"], task["lease_expires_at"]) == (None, "pending", None)
    # Back in the ready queue, for anyone.
    assert await _listed(client, world, [("ready", "true")]) == [1]
    again = ok(await client.post(f"{TASKS}/1/claim", json={}, headers=world.headers("backend")))
    assert again["owner"] == "backend"
    # Not someone else's to release.
    theirs = await client.patch(
        f"{TASKS}/1", json={"owner": None, "version": again["version"]}, headers=world.headers("qa")
    )
    assert refused(theirs, 403) == "forbidden"
    assert (await world.get(1)).owner == "backend"


async def test_metadata_merges_and_null_deletes_a_key(
    client: httpx.AsyncClient, world: World
) -> None:
    await _add(client, world, "t", tracker="backend", metadata={"a": 1, "b": {"x": 2}})
    result = ok(
        await client.patch(
            f"{TASKS}/1",
            json={"metadata": {"b": None, "c": [3], "missing": None}, "version": 1},
            headers=world.headers("backend"),
        )
    )
    assert result["updated_fields"] == ["metadata"]
    assert result["task"]["metadata"] == {"a": 1, "c": [3]}
    assert (await world.get(1)).meta == {"a": 1, "c": [3]}


async def test_dependencies_are_added_both_ways(client: httpx.AsyncClient, world: World) -> None:
    for title in ("first", "middle", "last"):
        await _add(client, world, title)
    result = ok(
        await client.patch(
            f"{TASKS}/2",
            json={"add_blocked_by": [1], "add_blocks": [3], "version": 1},
            headers=world.headers(),
        )
    )
    assert sorted(result["updated_fields"]) == ["blockedBy", "blocks"]
    assert (result["task"]["blocked_by"], result["task"]["blocks"]) == ([1], [3])
    first = ok(await client.get(f"{TASKS}/1", headers=world.headers()))
    last = ok(await client.get(f"{TASKS}/3", headers=world.headers()))
    assert (first["blocks"], last["blocked_by"], last["open_blockers"]) == ([2], [2], [2])
    cycle = await client.patch(
        f"{TASKS}/1",
        json={"add_blocked_by": [3], "version": first["version"]},
        headers=world.headers(),
    )
    assert refused(cycle, 409) == "dependency-cycle"
    assert (await world.get(1)).version == first["version"]
    assert ok(await client.get(f"{TASKS}/1", headers=world.headers()))["blocked_by"] == []


async def test_racing_writers_of_one_version_one_wins_the_others_get_409(
    client: httpx.AsyncClient, world: World
) -> None:
    """Each write queries the roster and the blockers before it saves: none of that may
    write early and lose the compare-and-set as a 500 (PostgreSQL, READ COMMITTED)."""
    for i in range(10):
        await _add(client, world, f"t{i}")
    agents = ("qa", "backend", "reviewer")
    for number in range(1, 11):
        answers = await asyncio.gather(
            *(
                client.patch(
                    f"{TASKS}/{number}",
                    json={"status": "in_progress", "owner": agent, "version": 1},
                    headers=world.headers(),
                )
                for agent in agents
            )
        )
        assert sorted(a.status_code for a in answers) == [200, 409, 409]
        assert {problem_code(a) for a in answers if a.status_code == 409} == {"version-conflict"}
        [winner] = [a.json()["task"] for a in answers if a.status_code == 200]
        assert winner["version"] == 2
        stored = await world.get(number)
        assert (stored.owner, stored.status, stored.version) == (winner["owner"], "in_progress", 2)
