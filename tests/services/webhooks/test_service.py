"""WebhookService: who manages webhooks, what a change records, and the input rules."""

from __future__ import annotations

from typing import Any

import pytest

from crewboard.database import Database
from crewboard.services.core import Actor, Conflict, Forbidden, Invalid, NotFound, unit_of_work
from crewboard.services.webhooks import WebhookService
from crewboard.services.webhooks.rules import WEBHOOKS_PER_PROJECT
from tests.services.conftest import SLUG, Crew
from tests.support.database import events
from tests.support.world import person

URL = "https://hooks.example.com/crewboard?token=receiver-token"


async def hooks(database: Database, actor: Actor, method: str, *args: Any, **kw: Any) -> Any:
    async with unit_of_work(database, write=method not in ("list", "get", "deliveries")) as s:
        return await getattr(WebhookService(s), method)(actor, SLUG, *args, **kw)


async def test_an_owner_makes_a_hook_and_the_event_names_no_url_or_secret(
    crew: Crew, database: Database
) -> None:
    hook = await hooks(database, crew.alice, "create", url=URL, kinds=["task.", "task."])
    assert (hook.url, hook.kinds, hook.active) == (URL, ["task."], True)
    assert hook.secret.startswith("whsec_")
    assert len(hook.secret) > 40
    (created,) = await events(database, "webhook.created")
    assert (created.subject, created.actor) == (f"webhook:{hook.id}", "alice@example.com")
    assert created.data == {
        "webhook": hook.id,
        "host": "hooks.example.com",
        "kinds": ["task."],
        "active": True,
    }
    assert "receiver-token" not in repr(created.data)


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("bob", Forbidden),
        ("carol", Forbidden),
        ("dave", Forbidden),
        ("erin", NotFound),
    ],
)
async def test_only_owners_and_admins_see_or_manage_hooks(
    crew: Crew, database: Database, who: str, error: type[Exception]
) -> None:
    hook = await hooks(database, crew.root, "create", url=URL)
    actor: Actor = getattr(crew, who)
    for method, args in (
        ("list", ()),
        ("get", (hook.id,)),
        ("deliveries", (hook.id,)),
        ("create", ()),
        ("delete", (hook.id,)),
    ):
        kwargs = {"url": URL} if method == "create" else {}
        with pytest.raises(error):
            await hooks(database, actor, method, *args, **kwargs)
    assert [h.id for h in (await hooks(database, crew.alice, "list")).items] == [hook.id]


async def test_a_read_only_credential_reads_but_does_not_change(
    crew: Crew, database: Database
) -> None:
    hook = await hooks(database, crew.alice, "create", url=URL)
    reader = person(crew.alice.user_id or 0, "alice@example.com", read_only=True)
    assert (await hooks(database, reader, "get", hook.id)).id == hook.id
    with pytest.raises(Forbidden):
        await hooks(database, reader, "update", hook.id, active=False)


async def test_changes_rotation_and_deletion_are_recorded(crew: Crew, database: Database) -> None:
    hook = await hooks(database, crew.alice, "create", url=URL)
    same = await hooks(database, crew.alice, "update", hook.id, url=URL, kinds=[])
    assert same.secret == hook.secret
    assert await events(database, "webhook.updated") == []  # nothing changed
    changed = await hooks(
        database,
        crew.alice,
        "update",
        hook.id,
        url="http://hooks.example.org:8080/x",
        kinds=["message."],
        active=False,
        rotate_secret=True,
    )
    assert changed.secret != hook.secret
    (updated,) = await events(database, "webhook.updated")
    assert updated.data == {
        "webhook": hook.id,
        "secret_rotated": True,
        "changes": {
            "host": ["hooks.example.com", "hooks.example.org"],
            "kinds": [[], ["message."]],
            "active": [True, False],
        },
    }
    with pytest.raises(Conflict) as caught:
        await hooks(database, crew.alice, "ping", hook.id)
    assert caught.value.detail_code == "webhook-inactive"
    await hooks(database, crew.alice, "delete", hook.id)
    (deleted,) = await events(database, "webhook.deleted")
    assert deleted.data == {"webhook": hook.id, "host": "hooks.example.org"}
    with pytest.raises(NotFound):
        await hooks(database, crew.alice, "get", hook.id)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "example.com/x"}, "url"),
        ({"url": "http:///path-only"}, "url"),
        ({"url": "https://user:pass@example.com/"}, "url"),
        ({"url": "https://example.com/#frag"}, "url"),
        ({"url": "https://example.com/a b"}, "url"),
        ({"url": "https://example.com:99999/"}, "url"),
        ({"url": "https://example.com/" + "x" * 2000}, "url"),
        ({"url": URL, "kinds": ["Task."]}, "kinds"),
        ({"url": URL, "kinds": [f"k{i}" for i in range(21)]}, "kinds"),
    ],
)
async def test_bad_hooks_are_refused(
    crew: Crew, database: Database, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(Invalid) as caught:
        await hooks(database, crew.alice, "create", **fields)
    assert caught.value.details.get("field") == field
    assert (await hooks(database, crew.alice, "list")).items == []


async def test_a_project_holds_a_bounded_number_of_hooks(crew: Crew, database: Database) -> None:
    for _ in range(WEBHOOKS_PER_PROJECT):
        await hooks(database, crew.alice, "create", url=URL)
    with pytest.raises(Conflict) as caught:
        await hooks(database, crew.alice, "create", url=URL)
    assert caught.value.detail_code == "too-many-webhooks"
