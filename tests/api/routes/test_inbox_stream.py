"""/projects/{slug}/inbox/stream over real HTTP (uvicorn): your own deliveries, live and
resumable by message id."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from crewboard.config import Settings
from tests.api.routes.task_http import ok
from tests.api.sse import open_stream
from tests.support.http import API
from tests.support.live import live_server
from tests.support.world import SLUG, World

MESSAGES = f"{API}/projects/{SLUG}/messages"
STREAM = f"{API}/projects/{SLUG}/inbox/stream"
TEAMS = f"{API}/projects/{SLUG}/teams"


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    with live_server(settings) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield http


async def send(http: httpx.AsyncClient, world: World, sender: str, **body: Any) -> int:
    answer = ok(await http.post(MESSAGES, json=body, headers=world.headers(sender)), 201)
    message_id: int = answer["id"]
    return message_id


async def test_new_deliveries_arrive_live_and_only_your_own(
    world: World, settings: Settings
) -> None:
    async with served(settings) as http:
        before = await send(http, world, "backend", to="qa", body="old news")
        async with open_stream(http, STREAM, token=world.tokens["qa"]) as stream:
            assert stream.start == before  # "now" is the newest message already delivered
            await send(http, world, "backend", to="frontend", body="not for qa")
            mine = await send(http, world, "backend", to="qa", body="Review #3", summary="r")
            (message,) = await stream.take(1)
            assert (message.id, message.event) == (mine, "message")
            assert (message.data["sender"], message.data["body"]) == ("backend", "Review #3")
            assert message.data["read_at"] is None
            team = {"name": "web", "members": ["qa", "frontend"]}
            ok(await http.post(TEAMS, json=team, headers=world.headers()), 201)
            broadcast = await send(
                http, world, "frontend", kind="broadcast", team="web", body="standup"
            )
            (seen,) = await stream.take(1)
            assert (seen.id, seen.data["kind"]) == (broadcast, "broadcast")


async def test_reconnecting_with_last_event_id_replays_exactly_the_missed_messages(
    world: World, settings: Settings
) -> None:
    async with served(settings) as http:
        async with open_stream(http, STREAM, token=world.tokens["qa"]) as stream:
            first = await send(http, world, "backend", to="qa", body="first")
            (seen,) = await stream.take(1)
            assert seen.id == first
        missed = [await send(http, world, "backend", to="qa", body=f"missed {i}") for i in range(3)]
        await send(http, world, "backend", to="frontend", body="someone else's")
        async with open_stream(
            http, STREAM, token=world.tokens["qa"], last_event_id=seen.id
        ) as stream:
            replayed = await stream.take(3)
            assert [m.id for m in replayed] == missed
            assert [m.data["body"] for m in replayed] == [f"missed {i}" for i in range(3)]
            live = await send(http, world, "backend", to="qa", body="live")
            (after,) = await stream.take(1)
            assert after.id == live


async def test_once_replays_read_and_unread_then_ends(world: World, settings: Settings) -> None:
    async with served(settings) as http:
        ids = [await send(http, world, "backend", to="qa", body=f"m{i}") for i in range(3)]
        read = {"ids": [ids[0]]}
        ok(
            await http.post(
                f"{API}/projects/{SLUG}/inbox/read", json=read, headers=world.headers("qa")
            )
        )
        params = {"once": "true", "after": "0"}
        async with open_stream(http, STREAM, token=world.tokens["qa"], params=params) as stream:
            replayed = await stream.rest()
        assert [m.id for m in replayed] == ids
        assert replayed[0].data["read_at"] is not None
        # Streaming marks nothing read.
        inbox = ok(await http.get(f"{API}/projects/{SLUG}/inbox", headers=world.headers("qa")))
        assert [m["id"] for m in inbox["items"]] == ids[1:]


async def test_bad_resume_points_are_refused(world: World, settings: Settings) -> None:
    async with served(settings) as http:
        for headers, params in (
            ({"Last-Event-ID": "yesterday"}, {}),
            ({}, {"after": "-1"}),
            ({}, {"once": "maybe"}),
        ):
            answer = await http.get(
                STREAM, params=params, headers={**world.headers("qa"), **headers}
            )
            assert answer.status_code == 422, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            assert "yesterday" not in answer.text
