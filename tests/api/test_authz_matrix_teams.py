"""Who may call which team route (the machinery is in ``tests.api.matrix``).

Every case that changes something gets a team made for it alone, through the services and
just before its request: led by backend (the agent the "agent" column and tok_a act as) or
by qa, with the members the row needs, and busy (a member holding an in-progress task of it)
where the row says so. The check that every route has a row is in ``test_authz_matrix``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import unit_of_work
from crewboard.services.tasks import Tasks
from crewboard.services.teams import TeamService
from tests.api.matrix import ACTORS, Call, Row, World, build_world, fill, run_case
from tests.support.factory import SYSTEM

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

READ_TEAM = "readers"  # made with the world; only ever read


@dataclass(frozen=True)
class Team:
    """Prepares a case: a fresh team led by ``lead`` with ``members``, busy or not; the body.

    ``body`` may name ``"{new}"`` (a fresh, unused team name) as a value.
    """

    lead: str | None = "backend"
    members: tuple[str, ...] = ()
    busy: bool = False
    body: dict[str, Any] | None = None
    agent: str = "qa"  # the path's {agent}
    query: str = ""
    fresh: bool = True

    async def __call__(self, w: World, actor: str, route: str) -> Call:
        name = READ_TEAM
        if self.fresh:
            name = w.unique("team")
            async with unit_of_work(w.database, write=True) as session:
                await TeamService(session, w.settings).create(
                    SYSTEM, "alpha", name=name, lead=self.lead, members=self.members
                )
                if self.busy:
                    tasks = Tasks(session, w.settings)
                    made = await tasks.create(SYSTEM, "alpha", title=w.unique("t"), team=name)
                    await tasks.claim(SYSTEM, "alpha", made.task.number, as_agent="qa")
        body = None
        if self.body is not None:
            body = {k: (w.unique("new") if v == "{new}" else v) for k, v in self.body.items()}
        path = fill(route, team=name, agent=self.agent) + self.query
        return Call(path, w.tokens[actor], body)


@dataclass(frozen=True)
class Body:
    """Prepares a case that needs no fresh team: only a body (``"{new}"``: a fresh name)."""

    body: dict[str, Any] = field(default_factory=dict)

    async def __call__(self, w: World, actor: str, route: str) -> Call:
        body = {k: (w.unique("new") if v == "{new}" else v) for k, v in self.body.items()}
        return Call(fill(route), w.tokens[actor], body)


TEAMS = "/projects/{slug}/teams"
TEAM = TEAMS + "/{team}"
MEMBERS = TEAM + "/members"
MEMBER = MEMBERS + "/{agent}"
READ_ONLY = Team(fresh=False)

# Grid columns, in ACTORS order (spaces only group them):
#     anon bad | viewer agent member owner admin | outsider | tok_a tok_b | ro
# Marks: + the row's ok status   U 401   F 403 forbidden   N 404
READ = "UU +++++ N +N +"
WRITE = "UU F++++ N +N F"  # agents (backend: its team, or itself) and members alike
MEMBERS_ONLY = "UU FF+++ N FN F"  # not backend's team, nor backend itself: members only

# fmt: off
MATRIX = (
    #   method    route     ok   grid          prepare, note, shows
    Row("GET",    TEAMS,    200, READ,         READ_ONLY),
    Row("GET",    TEAM,     200, READ,         READ_ONLY),
    Row("POST",   TEAMS,    201, WRITE,        Body({"name": "{new}"})),
    Row("POST",   TEAMS,    201, MEMBERS_ONLY, Body({"name": "{new}", "lead": "qa"}),
        "led by qa", ("lead", "qa")),
    Row("PATCH",  TEAM,     200, WRITE,        Team(body={"description": "ours"}),
        "led by backend", ("description", "ours")),
    Row("PATCH",  TEAM,     200, MEMBERS_ONLY, Team("qa", body={"description": "theirs"}),
        "led by qa"),
    Row("POST",   MEMBERS,  200, WRITE,        Team(body={"agents": ["qa"]}),
        "led by backend"),
    Row("POST",   MEMBERS,  200, MEMBERS_ONLY, Team("qa", body={"agents": ["qa"]}),
        "led by qa"),
    Row("POST",   MEMBERS,  200, WRITE,        Team("qa", body={"agents": ["backend"]}),
        "backend joins"),
    Row("DELETE", MEMBER,   200, WRITE,        Team(members=("qa",)), "led by backend"),
    Row("DELETE", MEMBER,   200, MEMBERS_ONLY, Team("qa", ("backend",)), "led by qa"),
    Row("DELETE", MEMBER,   200, WRITE,        Team("qa", ("backend",), agent="backend"),
        "backend leaves"),
    Row("DELETE", TEAM,     200, WRITE,        Team(), "idle, led by backend",
        ("released", [])),
    Row("DELETE", TEAM,     200, MEMBERS_ONLY, Team("qa"), "idle, led by qa"),
    Row("DELETE", TEAM,     200, MEMBERS_ONLY,
        Team(members=("qa",), busy=True, query="?force=true"), "forced, led by backend",
        ("detached", 1)),
)
# fmt: on


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[World]:
    """The matrix world, plus team ``readers`` (led by qa)."""
    async with build_world(migrated_database, base_settings) as world:
        async with unit_of_work(world.database, write=True) as session:
            await TeamService(session, world.settings).create(
                SYSTEM, "alpha", name=READ_TEAM, lead="qa"
            )
        yield world


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.id)
async def test_authorization(world: World, row: Row, actor: str) -> None:
    await run_case(world, row, actor)
