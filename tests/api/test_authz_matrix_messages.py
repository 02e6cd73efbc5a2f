"""Who may call which message and inbox route (the machinery is in ``tests.api.matrix``).

A case that needs a message gets one made for it alone, through the services, just before
its request: sent by crewboard itself (``#crewboard``) to the address the row names, where
``{me}`` is the calling actor's own (an agent's name, a person's ``@e-mail``). The check
that every route has a row is in ``test_authz_matrix``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import MAX_CURSOR_ID, unit_of_work
from crewboard.services.messages import MessageService, Outgoing
from tests.api.matrix import ACTORS, Call, Row, World, build_world, fill, run_case, with_body
from tests.support.factory import SYSTEM

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

# The inbox address of each actor that has one in alpha (others get a message to backend).
ADDRESSES = {
    "viewer": "@viewer@example.com",
    "agent": "backend",
    "member": "@member@example.com",
    "owner": "@owner@example.com",
    "tok_a": "backend",
    "ro": "@owner@example.com",
}


@dataclass(frozen=True)
class Sent:
    """Prepares a case: a message from crewboard to ``to`` (``{me}``: the caller's inbox)."""

    to: str = "backend"

    async def __call__(self, w: World, actor: str, route: str) -> Call:
        to = ADDRESSES.get(actor, "backend") if self.to == "{me}" else self.to
        async with unit_of_work(w.database, write=True) as session:
            view = await MessageService(session).send(
                SYSTEM, "alpha", Outgoing(to=to, body=w.unique("note"))
            )
        return Call(fill(route, message_id=view.message.id), w.tokens[actor])


def body(**fields: Any) -> Any:
    return with_body(lambda w: dict(fields))


@dataclass(frozen=True)
class Query:
    """Prepares a case that only adds a query string."""

    query: str

    async def __call__(self, w: World, actor: str, route: str) -> Call:
        return Call(fill(route) + self.query, w.tokens[actor])


MESSAGES = "/projects/{slug}/messages"
MESSAGE = MESSAGES + "/{message_id}"
INBOX = "/projects/{slug}/inbox"
READ = INBOX + "/read"
ACK = INBOX + "/{message_id}/ack"

# Grid columns, in ACTORS order (spaces only group them):
#     anon bad | viewer agent member owner admin | outsider | tok_a tok_b | ro
# Marks: + the row's ok status   U 401   F 403 forbidden   N 404
SEND = "UU F++++ N +N F"  # agents and people, never viewers or read-only credentials
OWN = "UU +++++ N +N +"  # everyone in the project has an inbox of their own
MARK = "UU +++++ N +N F"
OVERSEE = "UU FF+++ N FN +"  # another agent's inbox: members and owners

# fmt: off
MATRIX = (
    #   method  route     ok   grid               prepare, note, shows
    Row("POST", MESSAGES, 201, SEND,              body(to="qa", body="hello"),
        "to an agent", ("recipients", ["qa"])),
    Row("POST", MESSAGES, 201, SEND,              body(to="@member@example.com", body="hi"),
        "to a person", ("recipients", ["@member@example.com"])),
    Row("GET",  MESSAGE,  200, "UU N++++ N +N +", Sent("backend"), "to backend"),
    Row("GET",  MESSAGE,  200, "UU NN+NN N NN N", Sent("@member@example.com"),
        "to a person only"),
    Row("GET",  INBOX,    200, OWN),
    Row("GET",  INBOX,    200, OVERSEE,           Query("?agent=qa"), "agent=qa"),
    Row("POST", READ,     200, MARK,              body(up_to=MAX_CURSOR_ID)),
    Row("POST", ACK,      200, "UU ++++N N +N F", Sent("{me}"), "own message"),
)
# fmt: on


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[World]:
    async with build_world(migrated_database, base_settings) as world:
        yield world


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.id)
async def test_authorization(world: World, row: Row, actor: str) -> None:
    await run_case(world, row, actor)
