"""The authorization matrix's machinery: the actors, their credentials, rows and the check.

A row names a route, the status it answers when allowed, and a grid of what each actor gets.
The world (people, projects, agents, one credential per actor) is built once per test module
and backend; each row's ``prepare`` makes whatever that one case needs, so cases never
depend on each other's order.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.projects import Role
from tests.api.harness import API, assert_problem
from tests.support.database import empty_database
from tests.support.factory import Factory, issue_token
from tests.support.http import bearer, client_for
from tests.support.world import ApiWorld

OWNER_PASSWORD = "owner-password-1"
FORGED = "cb_" + "x" * 43  # well-formed, never issued


@dataclass(frozen=True)
class Cred:
    """How to mint a credential for an actor: whose, and bound to which (project, agent)."""

    person: str | None  # None: a forged token
    project: str | None = None
    agent: str | None = None
    read_only: bool = False


# The matrix columns, in order. "agent" is a person with the agent role (backend) in alpha;
# "outsider" owns beta and has no part in alpha; tok_a/tok_b are agent tokens.
CREDENTIALS: dict[str, Cred | None] = {
    "anon": None,  # no credential at all
    "bad": Cred(None),  # a token nobody issued
    "viewer": Cred("viewer"),
    "agent": Cred("agent"),
    "member": Cred("member"),
    "owner": Cred("owner"),
    "admin": Cred("admin"),
    "outsider": Cred("outsider"),
    "tok_a": Cred("member", "alpha", "backend"),  # issued for alpha's member
    "tok_b": Cred("outsider", "beta", "qa"),
    "ro": Cred("owner", read_only=True),  # alpha owner's read-only token
}
ACTORS = tuple(CREDENTIALS)
# Who acts as alpha's backend agent without naming it: the agent-role member and tok_a.
AGENTS = ("agent", "tok_a")
PEOPLE = ("viewer", "member", "owner", "admin")

# Grid marks other than '+': the status and problem code each stands for
# (401's code depends on the actor: none at all, or a token nobody issued).
MARKS: dict[str, tuple[int, str | None]] = {
    "U": (401, None),
    "F": (403, "forbidden"),
    "I": (403, "impersonation"),  # an agent naming another agent (as_agent)
    "N": (404, "not-found"),
    "C": (409, "not-yours"),
    "V": (422, "invalid"),  # a person who must name the agent it acts as
    "P": (428, "version-required"),
}


@dataclass
class World(ApiWorld):
    """Everything the cases need, built once per module and backend."""

    serial: Iterator[int] = field(default_factory=itertools.count)

    def unique(self, prefix: str) -> str:
        return f"{prefix}{next(self.serial)}"

    async def mint(self, actor: str) -> str | None:
        """A fresh credential of the given kind."""
        cred = CREDENTIALS[actor]
        if cred is None:
            return None
        if cred.person is None:
            return FORGED
        _, token = await issue_token(
            self.database,
            self.settings,
            self.users[cred.person],
            project=cred.project,
            agent=cred.agent,
            read_only=cred.read_only,
        )
        return token


@asynccontextmanager
async def build_world(database: Database, settings: Settings) -> AsyncIterator[World]:
    """alpha (owner, viewer, agent-role person, member; agents backend and qa) and beta."""
    await empty_database(database)
    factory = Factory(database, settings)
    users: dict[str, int] = {}
    for person in ("admin", "owner", "viewer", "agent", "member", "outsider", "bystander"):
        users[person] = await factory.user(
            f"{person}@example.com",
            admin=person == "admin",
            name=person.title(),
            password=OWNER_PASSWORD if person == "owner" else None,
        )
    await factory.project("alpha", users["owner"])
    await factory.project("beta", users["outsider"])
    await factory.agent("alpha", "backend")
    await factory.agent("alpha", "qa")
    await factory.agent("beta", "qa")
    await factory.member("alpha", "viewer@example.com", Role.VIEWER)
    await factory.member("alpha", "agent@example.com", Role.AGENT, "backend")
    await factory.member("alpha", "member@example.com", Role.MEMBER)
    async with client_for(settings=settings, database=database) as client:
        world = World(database, settings, client, factory, users)
        for actor in ACTORS:
            world.tokens[actor] = await world.mint(actor)
        yield world


@dataclass(frozen=True)
class Call:
    """One concrete request: path (under /api/v1), credential, JSON body, extra headers."""

    path: str
    token: str | None
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


Prepare = Callable[[World, str, str], Awaitable[Call]]


def fill(route: str, **params: object) -> str:
    """The route with its path parameters (alpha and its backend agent unless told)."""
    return route.format_map({"slug": "alpha", "name": "backend", **params})


def with_body(make: Callable[[World], dict[str, Any]]) -> Prepare:
    async def prepare(w: World, actor: str, route: str) -> Call:
        return Call(fill(route), w.tokens[actor], make(w))

    return prepare


async def plain(w: World, actor: str, route: str) -> Call:
    return Call(fill(route), w.tokens[actor])


@dataclass(frozen=True)
class Row:
    """One route (or one variant of it) and what each actor gets: '+' means ``ok``.

    ``shows``: on success, the response's field (dotted path) and the value it must have,
    e.g. the agent a claim was made for.
    """

    method: str
    route: str
    ok: int
    grid: str
    prepare: Prepare = plain
    note: str = ""
    shows: tuple[str, object] | None = None

    def mark(self, actor: str) -> str:
        return self.grid.replace(" ", "")[ACTORS.index(actor)]

    def expect(self, actor: str) -> tuple[int, str | None]:
        """The status, and for a refusal the problem code, this actor gets."""
        mark = self.mark(actor)
        if mark == "+":
            return self.ok, None
        status, code = MARKS[mark]
        if status == 401:
            code = "unauthenticated" if actor == "anon" else "invalid-token"
        return status, code

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}" + (f" [{self.note}]" if self.note else "")


def check_grid(row: Row) -> None:
    """A grid has one known mark per actor."""
    assert len(row.grid.replace(" ", "")) == len(ACTORS), row.id
    assert set(row.grid) <= {"+", " ", *MARKS}, row.id


def dig(body: Any, path: str) -> Any:
    """``body["a"]["b"]`` for the path ``a.b``."""
    for key in path.split("."):
        body = body[key]
    return body


async def run_case(world: World, row: Row, actor: str) -> None:
    """Send the row's request as the actor and check the status (and problem) it gets."""
    call = await row.prepare(world, actor, row.route)
    response = await world.client.request(
        row.method, API + call.path, json=call.body, headers={**bearer(call.token), **call.headers}
    )
    status, code = row.expect(actor)
    if code is None:
        assert response.status_code == status, response.text[:500]
        if row.shows is not None:
            path, value = row.shows
            assert dig(response.json(), path) == value, response.text[:500]
        return
    body = assert_problem(response, status, code)
    if status == 422:
        # A rule a service enforces names its field, in the shape schema violations have.
        assert body["errors"] == [{"loc": [body["field"]], "msg": body["detail"], "type": code}]
