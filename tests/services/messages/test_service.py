"""MessageService: direct messages, broadcasts, replies, protocol kinds; who may send what."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models.messages import Delivery, Message
from crewboard.services.core import Conflict, Forbidden, Invalid, NotFound, unit_of_work
from crewboard.services.messages import MessageService
from tests.support.database import events
from tests.support.factory import Factory
from tests.support.services import bodies, inbox, people, send, teams
from tests.support.world import SLUG, World, build_world


@pytest.fixture
async def world(factory: Factory, database: Database, settings: Settings) -> World:
    return await build_world(factory, database, settings)


async def counts(database: Database) -> tuple[int, int]:
    async with unit_of_work(database, write=False) as session:
        messages = await session.scalar(select(func.count()).select_from(Message))
        deliveries = await session.scalar(select(func.count()).select_from(Delivery))
    return int(messages or 0), int(deliveries or 0)


async def test_a_direct_message_reaches_one_inbox(world: World, database: Database) -> None:
    sent = await send(world, "backend", "qa", " Ready for review ", summary="review")
    message = sent.message
    assert (message.sender, message.kind, message.body, message.summary) == (
        "backend",
        "message",
        "Ready for review",
        "review",
    )
    assert sent.recipients == ["qa"]
    (item,) = await inbox(world, "qa")
    assert (item.message.id, item.delivery.read_at) == (message.id, None)
    assert await inbox(world, "frontend") == []
    (event,) = await events(database, "message.sent")
    assert event.subject == f"message:{message.id}"
    assert event.data == {"kind": "message", "sender": "backend", "recipients": ["qa"]}
    assert "Ready" not in json.dumps(event.data)  # bodies stay out of the audit log


async def test_people_send_and_receive(world: World, factory: Factory) -> None:
    crowd = await people(world, factory)
    to_lead = await send(world, "backend", "@Lead@Example.com", "Need a decision")
    assert to_lead.recipients == ["@lead@example.com"]
    assert bodies(await inbox(world, world.lead)) == ["Need a decision"]
    answer = await send(world, world.lead, reply_to=to_lead.message.id, body="ok")
    assert (answer.message.sender, answer.recipients) == ("@lead@example.com", ["backend"])
    await send(world, crowd["member"], "backend", "from a member")
    await send(world, world.lead, "@viewer@example.com", "fyi")
    assert bodies(await inbox(world, crowd["viewer"])) == ["fyi"]
    with pytest.raises(Forbidden):  # viewers read, never send
        await send(world, crowd["viewer"], "backend")
    with pytest.raises(Forbidden):
        await send(world, crowd["read-only"], "backend")


@pytest.mark.parametrize(
    ("to", "fields", "field"),
    [
        ("ghost", {}, "to"),
        ("Not A Name", {}, "to"),
        ("@nobody@example.com", {}, "to"),
        ("@", {}, "to"),
        ("#crewboard", {}, "to"),
        (None, {}, "to"),
        ("qa", {"body": "  "}, "body"),
        ("qa", {"body": "x" * 20_001}, "body"),
        ("qa", {"summary": "two\nlines"}, "summary"),
        ("qa", {"kind": "task_assignment"}, "kind"),
        ("qa", {"kind": "gossip"}, "kind"),
        ("qa", {"team": "ghost"}, "team"),
        ("qa", {"reply_to": 999}, "reply_to"),
        ("qa", {"request_id": "r1"}, "request_id"),
        ("qa", {"approve": True}, "approve"),
        ("qa", {"kind": "broadcast"}, "to"),
        (None, {"kind": "broadcast"}, "team"),
        ("qa", {"kind": "shutdown_request", "request_id": "bad id"}, "request_id"),
        ("qa", {"kind": "shutdown_response", "approve": True}, "request_id"),
    ],
)
async def test_bad_messages_write_nothing(
    world: World, database: Database, to: str | None, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(Invalid) as caught:
        await send(world, "backend", to, **fields)  # type: ignore[arg-type]
    assert caught.value.details.get("field") == field
    assert await counts(database) == (0, 0)
    assert await events(database, "message.sent") == []


async def test_a_broadcast_reaches_each_of_50_members_exactly_once(
    factory: Factory, database: Database, settings: Settings
) -> None:
    crew = tuple(f"m{i:02d}" for i in range(50))
    world = await build_world(factory, database, settings, agents=crew)
    await teams(world, "create", name="big", members=list(crew))
    sent = await send(world, world.lead, body="Stand-up in 5", kind="broadcast", team="big")
    assert sorted(sent.recipients) == list(crew)
    assert await counts(database) == (1, 50)
    for agent in crew:
        (item,) = await inbox(world, agent)
        assert (item.message.id, item.team) == (sent.message.id, "big")
    # A member broadcasting reaches the other 49, not itself.
    again = await send(world, "m00", body="ack", kind="broadcast", team="big")
    assert len(again.recipients) == 49
    assert "m00" not in again.recipients
    assert await counts(database) == (2, 99)


async def test_20_concurrent_senders_to_one_inbox(
    factory: Factory, database: Database, settings: Settings
) -> None:
    senders = tuple(f"s{i:02d}" for i in range(20))
    world = await build_world(factory, database, settings, agents=(*senders, "sink"))

    async def burst(agent: str) -> list[int]:
        return [(await send(world, agent, "sink", f"{agent}-{n}")).message.id for n in range(5)]

    sent = [i for ids in await asyncio.gather(*(burst(a) for a in senders)) for i in ids]
    assert len(set(sent)) == 100
    items = await inbox(world, "sink", limit=200)
    assert [i.message.id for i in items] == sorted(sent)
    assert sorted(bodies(items)) == sorted(f"{a}-{n}" for a in senders for n in range(5))


@pytest.mark.e2e
async def test_senders_in_separate_processes_lose_nothing(
    factory: Factory, database: Database, settings: Settings, repo_root: Path
) -> None:
    world = await build_world(factory, database, settings, agents=("w1", "w2", "w3", "w4", "sink"))
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.services.messages.message_worker",
            settings.database_url,
            SLUG,
            world.tokens[name],
            "sink",
            "25",
            name,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=str(repo_root),
        )
        for name in ("w1", "w2", "w3", "w4")
    ]
    sent: list[int] = []
    for proc in procs:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
        assert proc.returncode == 0, err.decode()
        sent.extend(json.loads(out))
    items = await inbox(world, "sink", limit=200)
    assert sorted(sent) == [i.message.id for i in items]
    assert len(items) == 100


async def test_replies_thread_and_default_to_the_sender(world: World) -> None:
    first = await send(world, "backend", "qa", "Is #4 ready?")
    reply = await send(world, "qa", body="Yes", reply_to=first.message.id)
    assert (reply.recipients, reply.message.reply_to) == (["backend"], first.message.id)
    with pytest.raises(Invalid) as caught:  # not a party to the message replied to
        await send(world, "frontend", body="me too", reply_to=first.message.id)
    assert caught.value.details["field"] == "reply_to"


async def test_protocol_requests_and_responses(world: World) -> None:
    asked = await send(world, "architect", "backend", "Wrap up", kind="shutdown_request")
    request_id = asked.message.request_id
    assert request_id
    named = await send(
        world, "architect", "qa", "Plan?", kind="plan_approval_request", request_id="plan-7"
    )
    assert named.message.request_id == "plan-7"
    with pytest.raises(Conflict) as dup:
        await send(
            world, "architect", "qa", "Again", kind="plan_approval_request", request_id="plan-7"
        )
    assert dup.value.detail_code == "duplicate"
    with pytest.raises(Invalid) as caught:  # approve is required
        await send(world, "backend", body="", kind="shutdown_response", request_id=request_id)
    assert caught.value.details["field"] == "approve"
    with pytest.raises(Invalid) as caught:  # the request went to backend, not to qa
        await send(world, "qa", kind="shutdown_response", request_id=request_id, approve=True)
    assert caught.value.details["field"] == "request_id"
    with pytest.raises(Invalid) as caught:  # the kinds must match
        await send(world, "qa", kind="shutdown_response", request_id="plan-7", approve=True)
    assert caught.value.details["field"] == "request_id"
    with pytest.raises(Invalid) as caught:  # a response goes back to the requester
        await send(
            world, "backend", "qa", kind="shutdown_response", request_id=request_id, approve=True
        )
    assert caught.value.details["field"] == "to"
    answer = await send(
        world, "backend", body="", kind="shutdown_response", request_id=request_id, approve=True
    )
    assert (answer.recipients, answer.message.approve) == (["architect"], True)
    with pytest.raises(Conflict) as twice:
        await send(world, "backend", kind="shutdown_response", request_id=request_id, approve=False)
    assert twice.value.detail_code == "already-answered"
    feedback = await send(
        world,
        "qa",
        body="Split step 3",
        kind="plan_approval_response",
        request_id="plan-7",
        approve=False,
    )
    assert (feedback.message.approve, feedback.message.body) == (False, "Split step 3")


async def test_who_reads_a_message(world: World, factory: Factory) -> None:
    crowd = await people(world, factory)
    sent = await send(world, "backend", "qa", "private-ish")
    human = await send(world, world.lead, "@member@example.com", "between people")

    async def get(actor: object, message_id: int) -> str:
        async with unit_of_work(world.database, write=False) as session:
            view = await MessageService(session).get(actor, SLUG, message_id)  # type: ignore[arg-type]
            return view.message.body

    assert await get(world.actors["qa"], sent.message.id) == "private-ish"
    assert await get(world.actors["backend"], sent.message.id) == "private-ish"
    assert await get(crowd["member"], sent.message.id) == "private-ish"  # oversight of agents
    with pytest.raises(NotFound):
        await get(world.actors["frontend"], sent.message.id)
    with pytest.raises(NotFound):
        await get(crowd["viewer"], sent.message.id)
    assert await get(crowd["member"], human.message.id) == "between people"
    with pytest.raises(NotFound):  # a message between people only stays theirs
        await get(world.actors["qa"], human.message.id)
    with pytest.raises(NotFound):
        await get(world.actors["qa"], 424242)
