"""/projects/{slug}/messages and /projects/{slug}/inbox over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.api.routes.task_http import ok, refused, walk
from tests.support.http import API
from tests.support.world import SLUG, World

MESSAGES = f"{API}/projects/{SLUG}/messages"
INBOX = f"{API}/projects/{SLUG}/inbox"
MESSAGE_FIELDS = {
    "id",
    "kind",
    "sender",
    "recipients",
    "team",
    "body",
    "summary",
    "request_id",
    "reply_to",
    "approve",
    "created_at",
}
INBOX_FIELDS = MESSAGE_FIELDS - {"recipients"} | {"read_at", "acked_at"}


async def _send(client: httpx.AsyncClient, world: World, who: str | None, **body: Any) -> Any:
    return ok(await client.post(MESSAGES, json=body, headers=world.headers(who)), 201)


async def test_send_read_mark_and_ack(client: httpx.AsyncClient, world: World) -> None:
    sent = await _send(client, world, "backend", to="qa", body="Review #3", summary="review")
    assert set(sent) == MESSAGE_FIELDS
    assert (sent["sender"], sent["recipients"], sent["kind"]) == ("backend", ["qa"], "message")
    shown = ok(await client.get(f"{MESSAGES}/{sent['id']}", headers=world.headers("qa")))
    assert shown == sent
    page = ok(await client.get(INBOX, headers=world.headers("qa")))
    assert [set(m) for m in page["items"]] == [INBOX_FIELDS]
    assert (page["items"][0]["id"], page["items"][0]["read_at"]) == (sent["id"], None)
    reply = await _send(client, world, "qa", body="Done", reply_to=sent["id"])
    assert reply["recipients"] == ["backend"]
    marked = await client.post(
        f"{INBOX}/read", json={"ids": [sent["id"]]}, headers=world.headers("qa")
    )
    assert ok(marked) == {"marked": 1}
    assert ok(await client.get(INBOX, headers=world.headers("qa")))["items"] == []
    every = ok(await client.get(INBOX, params={"all": "true"}, headers=world.headers("qa")))
    assert every["items"][0]["read_at"] is not None
    acked = ok(await client.post(f"{INBOX}/{reply['id']}/ack", headers=world.headers("backend")))
    assert acked["acked_at"] is not None
    assert acked["read_at"] == acked["acked_at"]
    gone = await client.post(f"{INBOX}/{reply['id']}/ack", headers=world.headers("qa"))
    assert refused(gone, 404) == "not-found"


async def test_after_cursor_and_pages(client: httpx.AsyncClient, world: World) -> None:
    ids = [(await _send(client, world, "backend", to="qa", body=f"m{i}"))["id"] for i in range(5)]
    after = ok(await client.get(INBOX, params={"after": ids[1]}, headers=world.headers("qa")))
    assert [m["id"] for m in after["items"]] == ids[2:]
    pages = await walk(client, INBOX, world.headers("qa"), {"limit": 2})
    assert [[m["id"] for m in p] for p in pages] == [ids[:2], ids[2:4], ids[4:]]
    upto = await client.post(f"{INBOX}/read", json={"up_to": ids[2]}, headers=world.headers("qa"))
    assert ok(upto) == {"marked": 3}
    left = ok(await client.get(INBOX, headers=world.headers("qa")))
    assert [m["id"] for m in left["items"]] == ids[3:]


async def test_broadcast_and_protocol(client: httpx.AsyncClient, world: World) -> None:
    team = {"name": "web", "members": ["qa", "frontend"]}
    ok(await client.post(f"{API}/projects/{SLUG}/teams", json=team, headers=world.headers()), 201)
    cast = await _send(client, world, None, kind="broadcast", team="web", body="Freeze at 5")
    assert (cast["sender"], sorted(cast["recipients"]), cast["team"]) == (
        "@lead@example.com",
        ["frontend", "qa"],
        "web",
    )
    asked = await _send(
        client,
        world,
        "architect",
        to="backend",
        kind="plan_approval_request",
        body="Plan: two steps",
    )
    answer = await _send(
        client,
        world,
        "backend",
        kind="plan_approval_response",
        request_id=asked["request_id"],
        approve=False,
        body="Three steps",
    )
    assert (answer["recipients"], answer["approve"]) == (["architect"], False)
    again = await client.post(
        MESSAGES,
        json={"kind": "plan_approval_response", "approve": True, "request_id": asked["request_id"]},
        headers=world.headers("backend"),
    )
    assert refused(again, 409) == "already-answered"
    ghost = await client.post(
        MESSAGES, json={"to": "ghost", "body": "x"}, headers=world.headers("qa")
    )
    assert refused(ghost, 422) == "invalid"
    assert ghost.json()["field"] == "to"


async def test_concurrent_senders_over_http(client: httpx.AsyncClient, world: World) -> None:
    agents = ("architect", "frontend", "backend", "domain-expert", "reviewer")

    async def burst(agent: str) -> list[int]:
        return [
            (await _send(client, world, agent, to="qa", body=f"{agent}-{n}"))["id"]
            for n in range(4)
        ]

    sent = sorted(i for ids in await asyncio.gather(*(burst(a) for a in agents)) for i in ids)
    page = ok(await client.get(INBOX, params={"limit": 200}, headers=world.headers("qa")))
    assert [m["id"] for m in page["items"]] == sent
