"""The live stream over real HTTP (uvicorn): resume, filters, other processes' writes."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import select, text

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Event
from crewboard.services.core import unit_of_work
from crewboard.services.projects import Role
from tests.api.sse import open_stream
from tests.support.cli import cli_env, run_subprocess
from tests.support.factory import Factory
from tests.support.live import live_server
from tests.support.statements import counted

EVENTS = "/api/v1/projects/alpha/events"
TASKS = "/api/v1/projects/alpha/tasks"
MESSAGES = "/api/v1/projects/alpha/messages"
INBOX_STREAM = "/api/v1/projects/alpha/inbox/stream"


@dataclass
class Crew:
    owner: str
    viewer: str
    agent: str  # backend's token


async def make_crew(factory: Factory) -> Crew:
    owner = await factory.user("owner@example.com")
    viewer = await factory.user("viewer@example.com")
    await factory.project("alpha", owner)
    await factory.agent("alpha", "backend")
    await factory.member("alpha", "viewer@example.com", Role.VIEWER)
    return Crew(
        await factory.token(owner),
        await factory.token(viewer),
        await factory.token(owner, project="alpha", agent="backend"),
    )


async def create_task(http: httpx.AsyncClient, token: str, title: str) -> int:
    response = await http.post(
        TASKS,
        json={"title": title, "tracker": "backend"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    number: int = response.json()["number"]
    return number


async def stored_ids(database: Database, after: int) -> list[int]:
    async with unit_of_work(database, write=False) as session:
        query = select(Event.id).where(Event.id > after, Event.project_id.is_not(None))
        return list((await session.scalars(query.order_by(Event.id))).all())


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    with live_server(settings) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield http


async def test_reconnect_with_last_event_id_gets_exactly_the_missed_events(
    factory: Factory, database: Database, settings: Settings
) -> None:
    crew = await make_crew(factory)
    async with served(settings) as http:
        async with open_stream(http, EVENTS, token=crew.viewer) as stream:
            await create_task(http, crew.agent, "first")
            (seen,) = await stream.take(1)
            assert seen.event == "task.created"
            assert seen.data["subject"].startswith("task:")
        missed = [await create_task(http, crew.agent, f"missed {i}") for i in range(3)]
        expected = await stored_ids(database, seen.id)
        assert len(expected) == 3
        async with open_stream(http, EVENTS, token=crew.viewer, last_event_id=seen.id) as stream:
            replayed = await stream.take(3)
            assert [m.id for m in replayed] == expected
            assert [m.event for m in replayed] == ["task.created"] * 3
            assert [m.data["subject"] for m in replayed] == [f"task:{n}" for n in missed]
            # ... and then live, with nothing repeated or skipped.
            await create_task(http, crew.agent, "live")
            (live,) = await stream.take(1)
            assert live.id == (await stored_ids(database, expected[-1]))[0]


async def test_a_fresh_stream_starts_now_and_says_where(
    factory: Factory, database: Database, settings: Settings
) -> None:
    crew = await make_crew(factory)
    async with served(settings) as http:
        await create_task(http, crew.agent, "before")
        async with open_stream(http, EVENTS, token=crew.owner) as stream:
            # "Now" is as far as this server has read: an event it had not read yet comes live.
            assert stream.start <= max(await stored_ids(database, 0))
            await create_task(http, crew.agent, "after")
            seen = await stream.until(lambda m: m.data["data"].get("title") == "after")
            assert [m.id for m in seen] == await stored_ids(database, stream.start)


async def test_filters_by_kind_prefix_and_subject(factory: Factory, settings: Settings) -> None:
    crew = await make_crew(factory)
    async with served(settings) as http:
        number = await create_task(http, crew.agent, "watched")
        params = {"kind": ["task.updated", "team."], "subject": f"task:{number}"}
        async with open_stream(http, EVENTS, token=crew.owner, params=params) as stream:
            await create_task(http, crew.agent, "other")
            response = await http.patch(
                f"{TASKS}/{number}",
                json={"priority": 0, "version": 1},
                headers={"Authorization": f"Bearer {crew.agent}"},
            )
            assert response.status_code == 200, response.text
            (message,) = await stream.take(1)
            assert (message.event, message.data["subject"]) == ("task.updated", f"task:{number}")


async def test_once_replays_and_ends(
    factory: Factory, database: Database, settings: Settings
) -> None:
    crew = await make_crew(factory)
    async with served(settings) as http:
        for title in ("a", "b"):
            await create_task(http, crew.agent, title)
        params = {"after": 0, "once": "true", "kind": "task."}
        async with open_stream(http, EVENTS, token=crew.viewer, params=params) as stream:
            assert [m.data["data"]["title"] for m in await stream.rest()] == ["a", "b"]


@pytest.mark.e2e
async def test_a_write_by_another_process_reaches_the_stream(
    factory: Factory, settings: Settings
) -> None:
    crew = await make_crew(factory)
    params = {"kind": "agent."}
    async with (
        served(settings) as http,
        open_stream(http, EVENTS, token=crew.viewer, params=params) as stream,
    ):
        result = await run_subprocess(cli_env(settings.database_url), "agent", "add", "alpha", "qa")
        assert result.code == 0, result.stderr
        (message,) = await stream.take(1)
        assert message.event.startswith("agent.")
        assert "qa" in message.data["subject"]


async def test_shutdown_ends_open_streams(factory: Factory, settings: Settings) -> None:
    crew = await make_crew(factory)
    with live_server(settings) as url:
        http = httpx.AsyncClient(base_url=url, timeout=30)
        stream_cm = open_stream(http, EVENTS, token=crew.viewer)
        stream = await stream_cm.__aenter__()
    # live_server has returned: the server stopped although the stream was open.
    assert await stream.rest() == []
    await stream_cm.__aexit__(None, None, None)
    await http.aclose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.e2e
async def test_two_server_processes_share_one_postgresql(
    factory: Factory, database: Database, settings: Settings
) -> None:
    if database.is_sqlite:
        pytest.skip(
            "several server processes share PostgreSQL (SQLite: one file, see the CLI test)"
        )
    crew = await make_crew(factory)
    port = free_port()
    env = cli_env(settings.database_url, CREWBOARD_JOBS_ENABLED="false")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crewboard",
        "serve",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as other:
            for _ in range(300):
                try:
                    if (await other.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            async with (
                served(settings) as http,
                open_stream(other, EVENTS, token=crew.viewer) as stream,
                open_stream(other, INBOX_STREAM, token=crew.owner) as inbox,
            ):
                await create_task(http, crew.agent, "through the first server")
                (message,) = await stream.take(1)
                assert message.data["data"]["title"] == "through the first server"
                # A message sent through the first server reaches the owner's inbox stream,
                # with its text, on the second.
                sent = await http.post(
                    MESSAGES,
                    json={"to": "@owner@example.com", "body": "hello from one"},
                    headers={"Authorization": f"Bearer {crew.agent}"},
                )
                assert sent.status_code == 201, sent.text
                (delivered,) = await inbox.take(1)
                assert (delivered.id, delivered.data["body"]) == (
                    sent.json()["id"],
                    "hello from one",
                )
                (announced,) = await stream.take(1)
                assert announced.event == "message.sent"
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 30) is not None


async def test_a_write_of_this_server_wakes_its_streams_without_waiting_for_a_poll(
    factory: Factory, settings: Settings
) -> None:
    # With the poll a minute apart, only the commit's own wake-up can deliver in time.
    slow_poll = settings.model_copy(update={"live_poll_ms": 60_000})
    crew = await make_crew(factory)
    async with served(slow_poll) as http, open_stream(http, EVENTS, token=crew.owner) as stream:
        for title in ("claimable", "another"):
            await create_task(http, crew.agent, title)
            (seen,) = await asyncio.wait_for(stream.take(1), 10)
            assert seen.data["data"]["title"] == title


async def bus_asleep() -> None:
    """Wait until the live bus sends nothing for 0.2 s (its start-up or last round is over;
    a fixed pause was overrun on a busy machine)."""
    async with asyncio.timeout(20):
        while True:
            with counted(bus=True) as polls:
                await asyncio.sleep(0.2)
            if not polls:
                return


async def test_nobody_listening_means_no_polling_and_a_late_stream_still_starts_now(
    factory: Factory, database: Database, settings: Settings
) -> None:
    fast_poll = settings.model_copy(update={"live_poll_ms": 20})
    crew = await make_crew(factory)
    async with served(fast_poll) as http:
        await bus_asleep()  # the start-up read is done
        with counted(bus=True) as polls:
            for i in range(5):
                await create_task(http, crew.agent, f"unwatched {i}")
            await asyncio.sleep(0.3)  # fifteen poll intervals
        assert polls == []
        newest = max(await stored_ids(database, 0))
        async with open_stream(http, EVENTS, token=crew.owner) as stream:
            # The bus woke for this stream and started at the newest event, as at start-up:
            # nothing written while it slept is replayed as live.
            assert stream.start == newest
            await create_task(http, crew.agent, "watched")
            (seen,) = await asyncio.wait_for(stream.take(1), 10)
            assert seen.data["data"]["title"] == "watched"
        # The stream is gone: the bus falls asleep again.
        await bus_asleep()
        with counted(bus=True) as polls:
            await create_task(http, crew.agent, "unwatched again")
            await asyncio.sleep(0.3)
        assert polls == []


async def test_a_stream_after_idle_does_not_wait_on_unrelated_transactions(
    factory: Factory, database: Database, settings: Settings
) -> None:
    """Waking from idle with no hole since its cursor, the bus starts at once: a snapshot (as
    at start-up) would wait on every open transaction of the server, up to the gap limit."""
    if database.is_sqlite:
        pytest.skip("PostgreSQL: SQLite has no holes to settle")
    patient = settings.model_copy(update={"live_gap_max_seconds": 600})
    crew = await make_crew(factory)
    async with served(patient) as http, database.engine.connect() as unrelated:
        await bus_asleep()  # the start-up read is done
        await unrelated.execute(text("SELECT pg_current_xact_id()"))  # holds an xid, open
        await create_task(http, crew.agent, "while idle")
        newest = max(await stored_ids(database, 0))
        async with asyncio.timeout(20), open_stream(http, EVENTS, token=crew.owner) as stream:
            assert stream.start == newest
            await create_task(http, crew.agent, "watched")
            (seen,) = await stream.take(1)
            assert seen.data["data"]["title"] == "watched"
        await unrelated.rollback()


async def test_a_replay_asked_while_the_bus_settles_includes_what_committed_before(
    factory: Factory, database: Database, settings: Settings
) -> None:
    """PostgreSQL: the bus's start-up waits on a transaction that was open when it read the
    newest id; a task created meanwhile is in a replay asked for after it."""
    if database.is_sqlite:
        pytest.skip("PostgreSQL: on SQLite the start-up read is final at once")
    crew = await make_crew(factory)
    async with database.engine.connect() as unrelated:
        await unrelated.execute(text("SELECT pg_current_xact_id()"))  # holds an xid, open
        async with served(settings) as http:
            await create_task(http, crew.agent, "made while the bus settles")
            params = {"after": 0, "once": "true", "kind": "task."}

            async def replay() -> list[str]:
                async with open_stream(http, EVENTS, token=crew.viewer, params=params) as stream:
                    return [m.data["data"]["title"] for m in await stream.rest()]

            asked = asyncio.create_task(replay())
            await asyncio.sleep(0.3)  # the stream waits on the bus
            await unrelated.rollback()
            assert await asyncio.wait_for(asked, 20) == ["made while the bus settles"]
