"""Bad requests to the message and inbox routes: the right problem, nothing echoed, nothing
written (every table is the same before and after)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import unit_of_work
from crewboard.services.messages import MessageService, Outgoing
from tests.api.harness import API, Bad, assert_refused, cursor, secret_of, send_bad
from tests.api.task_inputs import open_world
from tests.support.database import snapshot
from tests.support.factory import SYSTEM, Factory
from tests.support.http import bearer
from tests.support.world import ApiWorld, actor_for

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

MESSAGES = "/projects/alpha/messages"
INBOX = "/projects/alpha/inbox"


async def populate(database: Database, settings: Settings, slug: str, owner_id: int) -> str:
    """Agents backend and qa; message 1 (crewboard to backend) and message 2, a shutdown
    request ``stop-1`` from qa to backend. Returns backend's token."""
    factory = Factory(database, settings)
    for agent in ("backend", "qa"):
        await factory.agent(slug, agent)
    qa = await actor_for(
        database, settings, await factory.token(owner_id, project=slug, agent="qa")
    )
    async with unit_of_work(database, write=True) as session:
        await MessageService(session).send(SYSTEM, slug, Outgoing(to="backend", body="welcome"))
    async with unit_of_work(database, write=True) as session:
        request = Outgoing(
            to="backend", kind="shutdown_request", request_id="stop-1", body="wrap up"
        )
        await MessageService(session).send(qa, slug, request)
    return await factory.token(owner_id, project=slug, agent="backend")


async def fill(database: Database, settings: Settings, slug: str, owner_id: int) -> None:
    """``populate`` as the world's hook (the world makes backend's token itself)."""
    await populate(database, settings, slug, owner_id)


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[ApiWorld]:
    async with open_world(migrated_database, base_settings, fill) as world:
        yield world


# The write routes with a body: method, path, a body it accepts, and who sends it.
WRITES: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "send": ("POST", MESSAGES, {"to": "qa", "body": "Hello"}, "owner"),
    "respond": (
        "POST",
        MESSAGES,
        {"kind": "shutdown_response", "request_id": "stop-1", "approve": True},
        "backend",
    ),
    "read": ("POST", f"{INBOX}/read", {"ids": [1]}, "backend"),
}
BODILESS = {"ack": ("POST", f"{INBOX}/1/ack", "backend")}


def field_case(
    route: str,
    name: str,
    value: Any,
    *,
    tag: str = "",
    http: int = 422,
    code: str = "validation",
    field: str | None = None,
    echo: bool = False,
) -> Bad:
    """The route's valid body with ``name`` set to ``value``: refused by the schema (at
    ``("body", name)``) or, with another ``code``, by a service rule naming ``field``."""
    method, path, valid, who = WRITES[route]
    return Bad(
        f"{route}-{name}-{tag or type(value).__name__}",
        method,
        path,
        body={**valid, name: value},
        status=http,
        code=code,
        loc=("body", name) if code == "validation" else None,
        field=field,
        actor=who,
        secret=None if echo else secret_of(value),
    )


F = field_case


def shape_cases() -> list[Bad]:
    cases: list[Bad] = []
    for route, (method, path, valid, who) in WRITES.items():
        cases += [
            Bad(
                f"{route}-malformed",
                method,
                path,
                raw=b'{"to": "half-written-secret',
                status=400,
                code="malformed-json",
                actor=who,
                secret="half-written-secret",
            ),
            Bad(f"{route}-list", method, path, body=[valid], loc=("body",), actor=who),
            Bad(
                f"{route}-unknown-field",
                method,
                path,
                body={**valid, "sender": "sneaky-x"},
                loc=("body", "sender"),
                actor=who,
                secret="sneaky-x",
            ),
        ]
    return cases


FIELD_CASES = [
    F("send", "to", "ghost-agent", tag="unknown", code="invalid", field="to", echo=True),
    F("send", "to", "Secret Name", tag="malformed", code="invalid", field="to"),
    F("send", "to", "@stranger-secret@example.com", tag="not-member", code="invalid", field="to"),
    F("send", "to", "x" * 261, tag="261"),
    F("send", "to", 5),
    F("send", "body", "b" * 20_001, tag="20001"),
    F("send", "body", "bell\x07secret-text", tag="control", code="invalid", field="body"),
    F("send", "body", "   ", tag="blank", code="invalid", field="body"),
    F("send", "kind", "gossip-secret", tag="unknown"),
    F("send", "kind", "task_assignment", tag="system", echo=True),
    F("send", "summary", "s" * 201, tag="201"),
    F("send", "summary", "two\nlines-secret", tag="newline", code="invalid", field="summary"),
    F("send", "team", "Web", tag="upper"),
    F("send", "team", "ghost", tag="unknown", code="invalid", field="team", echo=True),
    F("send", "reply_to", 0, tag="zero"),
    F("send", "reply_to", "1", tag="string"),
    F("send", "reply_to", 999, tag="unknown", code="invalid", field="reply_to"),
    F("send", "request_id", "r1", tag="not-protocol", code="invalid", field="request_id"),
    F("send", "approve", True, tag="not-response", code="invalid", field="approve"),
    F("send", "approve", "yes"),
    F(
        "respond",
        "request_id",
        "nope",
        tag="unknown",
        code="invalid",
        field="request_id",
        echo=True,
    ),
    F(
        "respond",
        "request_id",
        "bad id secret",
        tag="malformed",
        code="invalid",
        field="request_id",
    ),
    F("respond", "approve", None, tag="missing", code="invalid", field="approve"),
    F("respond", "to", "qa-x", tag="wrong", code="invalid", field="to", echo=True),
    Bad(
        "send-broadcast-no-team",
        "POST",
        MESSAGES,
        body={"kind": "broadcast", "body": "x"},
        code="invalid",
        field="team",
        actor="owner",
    ),
    Bad(
        "send-broadcast-with-to",
        "POST",
        MESSAGES,
        body={"kind": "broadcast", "body": "x", "to": "qa"},
        code="invalid",
        field="to",
        actor="owner",
    ),
    Bad(
        "send-no-recipient",
        "POST",
        MESSAGES,
        body={"body": "x"},
        code="invalid",
        field="to",
        actor="owner",
    ),
    Bad(
        "send-request-duplicate",
        "POST",
        MESSAGES,
        body={"to": "qa", "kind": "shutdown_request", "request_id": "stop-1", "body": "x"},
        status=409,
        code="duplicate",
        actor="owner",
    ),
    F("read", "ids", [], tag="empty", code="invalid", field="ids"),
    Bad(
        "read-ids-zero",
        "POST",
        f"{INBOX}/read",
        body={"ids": [0]},
        loc=("body", "ids", 0),
        actor="backend",
    ),
    F("read", "ids", list(range(1, 202)), tag="201"),
    F("read", "ids", [999], tag="not-mine", http=404, code="not-found", field="ids", echo=True),
    F("read", "up_to", 5, tag="with-ids", code="invalid", field="ids"),
    F("read", "up_to", -1, tag="negative"),
    # Paths and queries.
    Bad("get-unknown", "GET", f"{MESSAGES}/424242", status=404, code="not-found", actor="owner"),
    # (The path comes back as the problem's ``instance``, so no secret is checked in it.)
    Bad("get-not-a-number", "GET", f"{MESSAGES}/abc", loc=("path", "message_id"), actor="owner"),
    Bad("get-too-big", "GET", f"{MESSAGES}/{2**31}", loc=("path", "message_id"), actor="owner"),
    Bad("ack-not-mine", "POST", f"{INBOX}/2/ack", status=404, code="not-found", actor="owner"),
    Bad("ack-zero", "POST", f"{INBOX}/0/ack", loc=("path", "message_id"), actor="backend"),
    Bad(
        "inbox-after-junk",
        "GET",
        INBOX,
        params={"after": "x-secret"},
        loc=("query", "after"),
        actor="backend",
        secret="x-secret",
    ),
    Bad(
        "inbox-all-junk",
        "GET",
        INBOX,
        params={"all": "maybe-secret"},
        loc=("query", "all"),
        actor="backend",
        secret="maybe-secret",
    ),
    Bad(
        "inbox-limit-0",
        "GET",
        INBOX,
        params={"limit": "0"},
        loc=("query", "limit"),
        actor="backend",
    ),
    Bad(
        "inbox-cursor-junk",
        "GET",
        INBOX,
        params={"cursor": "###"},
        code="invalid-cursor",
        actor="backend",
    ),
    Bad(
        "inbox-cursor-key",
        "GET",
        INBOX,
        params={"cursor": cursor("k:1,2")},
        code="invalid-cursor",
        actor="backend",
    ),
    Bad(
        "inbox-agent-upper",
        "GET",
        INBOX,
        params={"agent": "QA"},
        loc=("query", "agent"),
        actor="owner",
    ),
    Bad(
        "inbox-agent-unknown",
        "GET",
        INBOX,
        params={"agent": "ghost"},
        status=404,
        code="not-found",
        field="agent",
        actor="owner",
    ),
    Bad(
        "inbox-agent-by-agent",
        "GET",
        INBOX,
        params={"agent": "qa"},
        status=403,
        code="forbidden",
        actor="backend",
    ),
]

CASES = shape_cases() + FIELD_CASES


def test_cases_are_distinct() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_bad_input_is_refused_and_changes_nothing(world: ApiWorld, case: Bad) -> None:
    before = await snapshot(world.database)
    assert_refused(await send_bad(world.client, world.tokens[case.actor], case), case)
    assert await snapshot(world.database) == before


@pytest.mark.parametrize("route", [*WRITES, *BODILESS])
async def test_valid_requests_are_accepted(world: ApiWorld, route: str) -> None:
    """The premise of every case above: without its flaw, the request goes through (on a
    project of its own, populated like alpha; message ids there are that project's)."""
    slug = f"ok-{route}"
    await world.factory.project(slug, world.users["owner"])
    backend = await populate(world.database, world.settings, slug, world.users["owner"])
    tokens = {"owner": world.tokens["owner"], "backend": backend}
    first = (
        await world.client.get(f"{API}/projects/{slug}/inbox", headers=bearer(backend))
    ).json()["items"][0]["id"]
    if route in WRITES:
        method, path, body, who = WRITES[route]
        if route == "read":
            body = {"ids": [first]}
    else:
        (method, path, who), body = BODILESS[route], None
        path = path.replace("/1/", f"/{first}/")
    path = path.replace("/projects/alpha/", f"/projects/{slug}/")
    response = await world.client.request(
        method,
        API + path,
        content=None if body is None else json.dumps(body),
        headers={**bearer(tokens[who]), "content-type": "application/json"},
    )
    assert response.status_code in (200, 201), response.text[:500]
