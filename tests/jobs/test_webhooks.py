"""The webhook job against a real local HTTP receiver: signatures, kinds, retries, failure,
several processes, and the request that caused an event never waiting for a receiver."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.jobs.webhooks import WebhookSender
from crewboard.models import Event, Project, utcnow
from crewboard.services.core import unit_of_work
from crewboard.services.teams import TeamService
from crewboard.services.webhooks import DeliveryView, WebhookService
from tests.api.harness import API
from tests.jobs.webhook_receiver import Receiver, eventually, running
from tests.support.factory import Factory
from tests.support.http import bearer, client_for
from tests.support.world import SLUG, World, build_world

FAST = {
    "webhook_retry_base_seconds": 0.01,
    "webhook_retry_max_seconds": 0.05,
    "webhook_timeout_seconds": 5,
    # The receiver runs on 127.0.0.1: a self-hosted operator's opt-in (test_webhook_transport.py
    # and tests/services/webhooks/test_targets.py have the default, which refuses it).
    "webhook_allow_private": True,
}


@pytest.fixture
def fast(settings: Settings) -> Settings:
    return settings.model_copy(update=FAST)


@pytest.fixture
async def world(factory: Factory, database: Database, fast: Settings) -> World:
    return await build_world(factory, database, fast, ("backend",))


async def add_hook(world: World, url: str, kinds: Sequence[str] = ()) -> tuple[int, str]:
    async with unit_of_work(world.database, write=True) as session:
        hooks = WebhookService(session, allow_private=True)
        hook = await hooks.create(world.lead, SLUG, url=url, kinds=kinds)
        return hook.id, hook.secret


async def log(world: World, hook_id: int) -> list[DeliveryView]:
    async with unit_of_work(world.database, write=False) as session:
        page = await WebhookService(session).deliveries(world.lead, SLUG, hook_id, limit=200)
        return page.items


async def run_until(sender: WebhookSender, world: World, hook_id: int, count: int) -> None:
    """Run the job until ``count`` deliveries of the hook are final."""

    async def final() -> bool:
        await sender.run()
        views = await log(world, hook_id)
        return sum(v.delivery.status != "pending" for v in views) >= count

    await eventually(final, f"{count} final deliveries")


async def test_a_delivery_is_signed_and_filtered_by_kind(world: World, fast: Settings) -> None:
    with running(Receiver()) as receiver:
        hook_id, secret = await add_hook(world, receiver.url, ["task."])
        await world.task("Signed")
        async with unit_of_work(world.database, write=True) as session:
            await TeamService(session, fast).create(world.lead, SLUG, name="not-sent")
        await run_until(WebhookSender(world.database, fast), world, hook_id, 1)
    (got,) = receiver.requests
    assert got.verifies(secret)
    assert not got.verifies(secret + "x")
    body = got.json
    assert set(body) == {"id", "kind", "subject", "actor", "at", "data", "project"}
    assert (body["kind"], body["subject"], body["project"]) == ("task.created", "task:1", SLUG)
    assert body["actor"] == world.lead.label
    assert got.headers["x-crewboard-event"] == "task.created"
    assert got.headers["content-type"] == "application/json"
    (view,) = await log(world, hook_id)
    d = view.delivery
    assert (view.kind, d.status, d.attempts, d.last_status_code) == (
        "task.created",
        "delivered",
        1,
        204,
    )
    assert got.headers["x-crewboard-delivery"] == str(d.id)
    assert d.event_id == body["id"]


async def test_a_failing_receiver_is_retried_until_it_answers(world: World, fast: Settings) -> None:
    with running(Receiver(fail_first=2)) as receiver:
        hook_id, secret = await add_hook(world, receiver.url, ["task."])
        await world.task("Retried")
        await run_until(WebhookSender(world.database, fast), world, hook_id, 1)
    assert [r.headers["x-crewboard-attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert len({r.headers["x-crewboard-delivery"] for r in receiver.requests}) == 1
    assert all(r.verifies(secret) for r in receiver.requests)
    (view,) = await log(world, hook_id)
    assert (view.delivery.status, view.delivery.attempts) == ("delivered", 3)
    assert view.delivery.last_error is None


async def test_a_delivery_fails_after_the_last_attempt(world: World, fast: Settings) -> None:
    settings = fast.model_copy(update={"webhook_max_attempts": 2})
    with running(Receiver(status=503)) as receiver:
        hook_id, _ = await add_hook(world, receiver.url, ["task."])
        await world.task("Never")
        await run_until(WebhookSender(world.database, settings), world, hook_id, 1)
    assert len(receiver.requests) == 2
    (view,) = await log(world, hook_id)
    d = view.delivery
    assert (d.status, d.attempts, d.last_status_code, d.last_error) == (
        "failed",
        2,
        503,
        "HTTP 503",
    )


async def test_an_unreachable_receiver_records_the_error(world: World, fast: Settings) -> None:
    with running(Receiver()) as receiver:
        url = receiver.url  # the port is closed once the block ends
    settings = fast.model_copy(update={"webhook_max_attempts": 1})
    hook_id, _ = await add_hook(world, url, ["task."])
    await world.task("Nobody home")
    await run_until(WebhookSender(world.database, settings), world, hook_id, 1)
    (view,) = await log(world, hook_id)
    assert (view.delivery.status, view.delivery.last_status_code) == ("failed", None)
    assert view.delivery.last_error
    assert "ConnectError" in view.delivery.last_error


async def test_a_hook_for_every_kind_first_gets_its_own_creation(
    world: World, fast: Settings
) -> None:
    await world.task("Before the hook")
    with running(Receiver()) as receiver:
        hook_id, _ = await add_hook(world, receiver.url)
        await world.task("After the hook")
        await run_until(WebhookSender(world.database, fast), world, hook_id, 2)
    kinds = [(e["kind"], e["subject"]) for e in receiver.events()]
    assert sorted(kinds) == [("task.created", "task:2"), ("webhook.created", f"webhook:{hook_id}")]


async def test_paused_hooks_get_nothing_new_and_pings_go_to_one_hook(
    world: World, fast: Settings
) -> None:
    with running(Receiver()) as receiver:
        paused, _ = await add_hook(world, receiver.url)
        pinged, _ = await add_hook(world, receiver.url, ["nothing."])
        async with unit_of_work(world.database, write=True) as session:
            hooks = WebhookService(session)
            await hooks.update(world.lead, SLUG, paused, active=False)
            await hooks.ping(world.lead, SLUG, pinged)
        await world.task("Unseen")
        await run_until(WebhookSender(world.database, fast), world, pinged, 1)
    assert [e["kind"] for e in receiver.events()] == ["webhook.ping"]
    assert receiver.events()[0]["data"] == {"webhook": pinged}
    assert await log(world, paused) == []


async def test_two_processes_deliver_each_event_exactly_once(world: World, fast: Settings) -> None:
    other = Database(fast)  # a second server process's engine on the same database
    try:
        with running(Receiver()) as receiver:
            hook_id, _ = await add_hook(world, receiver.url, ["task."])
            for n in range(12):
                await world.task(f"Task {n}")
            senders = [WebhookSender(world.database, fast), WebhookSender(other, fast)]

            async def all_delivered() -> bool:
                await asyncio.gather(*(s.run() for s in senders))
                views = await log(world, hook_id)
                return len(views) == 12 and all(v.delivery.status == "delivered" for v in views)

            await eventually(all_delivered, "12 deliveries")
            for sender in senders:
                await sender.run()  # nothing left to send: nothing is sent again
    finally:
        await other.dispose()
    ids = sorted(e["id"] for e in receiver.events())
    assert len(ids) == 12
    assert len(set(ids)) == 12
    assert all(v.delivery.attempts == 1 for v in await log(world, hook_id))


async def test_an_uncommitted_event_id_holds_later_ones_back(
    world: World, fast: Settings, database: Database
) -> None:
    """PostgreSQL: an event id taken by a transaction still open is waited for, so events are
    queued in id order and none is skipped."""
    if database.is_sqlite:
        pytest.skip("SQLite writers commit one at a time: an id below a visible one is final")
    with running(Receiver()) as receiver:
        hook_id, _ = await add_hook(world, receiver.url, ["task."])
        sender = WebhookSender(world.database, fast)
        async with database.engine.connect() as open_tx:
            # An instance-level event (no project): it only has to take an id and stay open.
            await open_tx.execute(
                insert(Event).values(
                    project_id=None,
                    at=utcnow(),
                    actor="test",
                    kind="custom.slow",
                    subject="x",
                    data={},
                )
            )
            await world.task("Later")
            await sender.run()
            assert await log(world, hook_id) == []  # held back behind the open id
            await open_tx.commit()
        await run_until(sender, world, hook_id, 1)
    assert [e["kind"] for e in receiver.events()] == ["task.created"]


async def test_a_hole_held_by_the_newest_transaction_is_waited_for(
    world: World, fast: Settings, database: Database
) -> None:
    """PostgreSQL: the holder of id N took its transaction id after the writer of N+1 did, so
    a snapshot taken when N+1 is visible does not list it (its ``xmax`` is the last completed
    id plus one). N must still be waited for, and both delivered."""
    if database.is_sqlite:
        pytest.skip("SQLite writers commit one at a time: an id below a visible one is final")
    async with unit_of_work(database, write=False) as session:
        project_id = await session.scalar(select(Project.id).where(Project.slug == SLUG))

    def event(kind: str) -> Any:
        return insert(Event).values(
            project_id=project_id, at=utcnow(), actor="test", kind=kind, subject="x", data={}
        )

    with running(Receiver()) as receiver:
        hook_id, _ = await add_hook(world, receiver.url, ["task."])
        sender = WebhookSender(world.database, fast)
        async with database.engine.connect() as writer, database.engine.connect() as holder:
            await writer.execute(text("SELECT pg_current_xact_id()"))  # the older xid
            await holder.execute(text("SELECT pg_current_xact_id()"))  # the newer xid
            await holder.execute(event("task.first"))  # takes id N
            await writer.execute(event("task.second"))  # takes N + 1
            await writer.commit()
            await sender.run()
            assert await log(world, hook_id) == []  # N + 1 is held back behind N
            await holder.commit()
        await run_until(sender, world, hook_id, 2)
    # Both queued, none skipped (deliveries go out concurrently: arrival order is not kept).
    assert sorted(e["kind"] for e in receiver.events()) == ["task.first", "task.second"]


async def test_the_request_never_waits_for_the_receiver(
    factory: Factory, database: Database, fast: Settings
) -> None:
    """A receiver that holds every request open: the API calls that cause events answer while
    it is still holding the first delivery."""
    settings = fast.model_copy(update={"jobs_enabled": True, "webhook_check_seconds": 0.02})
    world = await build_world(factory, database, settings, ("backend",))
    hold = threading.Event()
    with running(Receiver(hold=hold)) as receiver:
        async with client_for(settings=settings, database=database) as client:
            headers = bearer(world.lead_token)
            made = await client.post(
                f"{API}/projects/{SLUG}/webhooks",
                headers=headers,
                json={"url": receiver.url, "kinds": ["task."]},
            )
            assert made.status_code == 201, made.text
            first = await client.post(
                f"{API}/projects/{SLUG}/tasks",
                headers=headers,
                json={"title": "First", "tracker": "backend"},
            )
            assert first.status_code == 201, first.text
            await eventually(receiver.entered.is_set, "the receiver to get the first event")
            for title in ("Second", "Third"):
                again = await client.post(
                    f"{API}/projects/{SLUG}/tasks",
                    headers=headers,
                    json={"title": title, "tracker": "backend"},
                )
                assert again.status_code == 201, again.text
            # The receiver is still holding the first delivery: nothing was answered yet.
            assert not hold.is_set()
            assert receiver.answered == 0
            hold.set()
            await eventually(lambda: len(receiver.events()) == 3, "all three events")
    assert sorted(e["subject"] for e in receiver.events()) == ["task:1", "task:2", "task:3"]
