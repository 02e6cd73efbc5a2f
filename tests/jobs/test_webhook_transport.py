"""The sender connects only to checked addresses: a hook whose host is (or resolves to)
loopback gets nothing when private targets are not allowed, whatever was allowed when it
was saved; the delivery log tells an admin why and anyone else only that it failed."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.jobs.webhooks import WebhookSender
from crewboard.models.webhooks import Webhook
from crewboard.services.core import unit_of_work
from crewboard.services.webhooks import WebhookService
from tests.api.harness import API
from tests.jobs.test_webhooks import FAST, log, run_until
from tests.jobs.webhook_receiver import Receiver, running
from tests.support.factory import Factory
from tests.support.http import bearer, client_for
from tests.support.world import SLUG, World, build_world

PUBLIC = "https://hooks.example.com/in"
UNPARSED = "http://999.1.1.1/in"


@pytest.fixture
def strict(settings: Settings) -> Settings:
    """The default rule (no private targets), with quick retries and one attempt."""
    return settings.model_copy(
        update={**FAST, "webhook_max_attempts": 1, "webhook_allow_private": False}
    )


@pytest.fixture
async def world(factory: Factory, database: Database, strict: Settings) -> World:
    return await build_world(factory, database, strict, ("backend",))


async def _saved_while_allowed(world: World, url: str) -> int:
    async with unit_of_work(world.database, write=True) as session:
        hooks = WebhookService(session, allow_private=True)
        return (await hooks.create(world.lead, SLUG, url=url, kinds=["task."])).id


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_loopback_target_is_refused_at_connect_time(
    world: World, strict: Settings, host: str
) -> None:
    """Saved while private targets were allowed (or, for a name, resolving elsewhere then):
    the sender resolves again and refuses before any byte is sent."""
    with running(Receiver()) as receiver:
        hook_id = await _saved_while_allowed(world, receiver.url.replace("127.0.0.1", host))
        await world.task("Must not leave")
        await run_until(WebhookSender(world.database, strict), world, hook_id, 1)
        assert receiver.requests == []
    (view,) = await log(world, hook_id)
    assert view.delivery.status == "failed"
    assert view.delivery.last_error is not None
    assert view.delivery.last_error.startswith("refused by crewboard")
    assert "loopback" in view.delivery.last_error


async def test_the_same_hook_is_delivered_when_private_targets_are_allowed(
    world: World, strict: Settings
) -> None:
    allowed = strict.model_copy(update={"webhook_allow_private": True})
    with running(Receiver()) as receiver:
        hook_id = await _saved_while_allowed(world, receiver.url.replace("127.0.0.1", "localhost"))
        await world.task("Next door")
        await run_until(WebhookSender(world.database, allowed), world, hook_id, 1)
        assert len(receiver.requests) == 1
    assert [v.delivery.status for v in await log(world, hook_id)] == ["delivered"]


async def test_failures_are_generic_for_all_but_admins(
    world: World, strict: Settings, factory: Factory
) -> None:
    """A closed port, a non-HTTP answer and an HTTP status read the same to an owner (no port
    scanner); an admin sees the detail."""
    with running(Receiver(status=503)) as receiver:
        answered = await _saved_while_allowed(world, receiver.url)
        closed = await _saved_while_allowed(world, "http://127.0.0.1:9/hook")
        await world.task("Fails twice")
        sender = WebhookSender(
            world.database, strict.model_copy(update={"webhook_allow_private": True})
        )
        await run_until(sender, world, answered, 1)
        await run_until(sender, world, closed, 1)
    admin_id = await factory.user("root@example.com", admin=True)
    tokens = {
        "owner": world.lead_token,
        "admin": await factory.token(admin_id),
    }
    seen: dict[str, list[tuple[object, object]]] = {}
    async with client_for(settings=strict, database=world.database) as client:
        for who, token in tokens.items():
            for hook_id in (answered, closed):
                page = await client.get(
                    f"{API}/projects/{SLUG}/webhooks/{hook_id}/deliveries", headers=bearer(token)
                )
                assert page.status_code == 200, page.text
                (item,) = page.json()["items"]
                assert item["status"] == "failed"
                seen.setdefault(who, []).append((item["last_status_code"], item["last_error"]))
    assert seen["owner"] == [(None, "delivery failed"), (None, "delivery failed")]
    (status, error), (_, refused) = seen["admin"]
    assert (status, error) == (503, "HTTP 503")
    assert "ConnectError" in str(refused)


async def test_a_stored_url_the_client_cannot_parse_fails_without_stopping_the_job(
    world: World, strict: Settings
) -> None:
    """A hook saved before the save rule parsed URLs as the sender does (``999.1.1.1`` is
    no address httpx takes): its delivery fails with a reason, and the job goes on."""
    async with unit_of_work(world.database, write=True) as session:
        hook_id = (await WebhookService(session).create(world.lead, SLUG, url=PUBLIC)).id
        await session.execute(update(Webhook).where(Webhook.id == hook_id).values(url=UNPARSED))
    await world.task("Goes nowhere")
    await run_until(WebhookSender(world.database, strict), world, hook_id, 2)
    views = await log(world, hook_id)
    assert {v.delivery.status for v in views} == {"failed"}
    assert all((v.delivery.last_error or "").startswith("invalid URL") for v in views)


async def test_an_attempt_ends_at_the_timeout_however_the_receiver_trickles(
    world: World, strict: Settings
) -> None:
    """Each header line comes well within the timeout, the whole answer long after it: the
    attempt is cut at ``CREWBOARD_WEBHOOK_TIMEOUT_SECONDS`` (it must end within its lease,
    or another process would send it again meanwhile)."""
    allowed = strict.model_copy(
        update={"webhook_allow_private": True, "webhook_timeout_seconds": 0.5}
    )
    with running(Receiver(trickle=0.1)) as receiver:
        hook_id = await _saved_while_allowed(world, receiver.url)
        await world.task("Slowly answered")
        await run_until(WebhookSender(world.database, allowed), world, hook_id, 1)
    (view,) = await log(world, hook_id)
    assert (view.delivery.status, view.delivery.last_error) == ("failed", "timed out")
