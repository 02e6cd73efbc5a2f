"""Bad requests to the team routes, and bad teams on the task routes: the right problem,
nothing echoed, nothing written (every table is the same before and after)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import unit_of_work
from crewboard.services.tasks import Tasks
from crewboard.services.teams import TeamService
from tests.api.harness import API, Bad, assert_refused, secret_of, send_bad
from tests.api.task_inputs import open_world
from tests.support.database import snapshot
from tests.support.factory import SYSTEM, Factory
from tests.support.http import bearer
from tests.support.world import ApiWorld

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

TEAMS = "/projects/alpha/teams"
TASKS = "/projects/alpha/tasks"
TOO_LONG = "t" * 65


async def populate(database: Database, settings: Settings, slug: str) -> None:
    """Agents backend and qa; team web (led by backend, with qa) and task #1 on it; team busy,
    whose member qa holds its task #2."""
    factory = Factory(database, settings)
    for agent in ("backend", "qa"):
        await factory.agent(slug, agent)
    async with unit_of_work(database, write=True) as session:
        teams = TeamService(session, settings)
        await teams.create(SYSTEM, slug, name="web", lead="backend", members=["qa"])
        await teams.create(SYSTEM, slug, name="busy", members=["qa"])
        tasks = Tasks(session, settings)
        await tasks.create(SYSTEM, slug, title="Page", team="web")
        await tasks.create(SYSTEM, slug, title="Held", team="busy")
        await tasks.claim(SYSTEM, slug, 2, as_agent="qa")


async def fill(database: Database, settings: Settings, slug: str, _owner: int) -> None:
    """``populate`` as the world's hook."""
    await populate(database, settings, slug)


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[ApiWorld]:
    async with open_world(migrated_database, base_settings, fill) as world:
        yield world


# The write routes with a body: method, path, a body it accepts, and who sends it.
WRITES: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "create": ("POST", TEAMS, {"name": "new-team"}, "owner"),
    "patch": ("PATCH", f"{TEAMS}/web", {"description": "Pages"}, "owner"),
    "members": ("POST", f"{TEAMS}/web/members", {"agents": ["qa"]}, "owner"),
    "task": ("POST", TASKS, {"title": "New", "team": "web"}, "owner"),
    "task-patch": ("PATCH", f"{TASKS}/1", {"version": 1, "team": "busy"}, "owner"),
    "claim-next": ("POST", f"{TASKS}/claim", {"team": "web", "as_agent": "qa"}, "owner"),
}
BODILESS = {
    "remove": ("DELETE", f"{TEAMS}/web/members/qa", "owner"),
    "delete": ("DELETE", f"{TEAMS}/web", "owner"),
}


def field_case(
    route: str,
    name: str,
    value: Any,
    *,
    tag: str = "",
    http: int = 422,
    code: str = "validation",
    field: str | None = None,
    actor: str | None = None,
    loc: tuple[str | int, ...] | None = None,
) -> Bad:
    """The route's valid body with ``name`` set to ``value``: refused by the schema (at
    ``("body", name)``) or, with another ``code``, by a service rule naming ``field``.

    A refused value must not come back, unless it is a name that passed the strict name
    pattern to be looked up ("no team ghost in project alpha" names what was not found).
    """
    method, path, valid, who = WRITES[route]
    echo_allowed = code != "validation" and name != "description"
    return Bad(
        f"{route}-{name}-{tag or type(value).__name__}",
        method,
        path,
        body={**valid, name: value},
        status=http,
        code=code,
        loc=loc or (("body", name) if code == "validation" else None),
        field=field,
        actor=actor or who,
        secret=None if echo_allowed else secret_of(value),
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
                raw=b'{"name": "half-written-secret',
                status=400,
                code="malformed-json",
                actor=who,
                secret="half-written-secret",
            ),
            Bad(f"{route}-no-body", method, path, loc=("body",), actor=who),
            Bad(f"{route}-list", method, path, body=[valid], loc=("body",), actor=who),
            Bad(
                f"{route}-unknown-field",
                method,
                path,
                body={**valid, "is_owner": "sneaky-x"},
                loc=("body", "is_owner"),
                actor=who,
                secret="sneaky-x",
            ),
        ]
    return cases


FIELD_CASES = [
    F("create", "name", "Web", tag="upper"),
    F("create", "name", "", tag="empty"),
    F("create", "name", TOO_LONG, tag="65"),
    F("create", "name", "-web", tag="dash-first"),
    F("create", "name", 5),
    F("create", "name", "web", tag="taken", http=409, code="duplicate"),
    F("create", "description", "d" * 2001, tag="2001"),
    F("create", "description", ["a list"]),
    F(
        "create",
        "description",
        "bell\x07secret-text",
        tag="control",
        code="invalid",
        field="description",
    ),
    F("create", "lead", "Backend", tag="upper"),
    F("create", "lead", "ghost", tag="unknown", http=404, code="not-found", field="lead"),
    F(
        "create",
        "lead",
        "qa",
        tag="agent-names-another",
        http=403,
        code="forbidden",
        actor="backend",
    ),
    F("create", "members", [f"a{i}" for i in range(51)], tag="51"),
    F("create", "members", "qa", tag="string"),
    F(
        "create",
        "members",
        ["qa", "ghost"],
        tag="unknown",
        http=404,
        code="not-found",
        field="members",
    ),
    F("patch", "description", "d" * 2001, tag="2001"),
    F("patch", "lead", 5),
    F("patch", "lead", "ghost", tag="unknown", http=404, code="not-found", field="lead"),
    F("members", "agents", [], tag="empty"),
    F("members", "agents", [f"a{i}" for i in range(51)], tag="51"),
    F("members", "agents", ["Q A"], tag="space", loc=("body", "agents", 0)),
    F("members", "agents", "qa", tag="string"),
    F("members", "agents", ["ghost"], tag="unknown", http=404, code="not-found", field="agents"),
    Bad(
        "members-not-the-lead",
        "POST",
        f"{TEAMS}/busy/members",
        body={"agents": ["qa"]},
        status=403,
        code="forbidden",
        actor="backend",
    ),
    F("task", "team", "Web", tag="upper"),
    F("task", "team", TOO_LONG, tag="65"),
    F("task", "team", "ghost", tag="unknown", code="invalid", field="team"),
    F("task-patch", "team", "ghost", tag="unknown", code="invalid", field="team"),
    F("task-patch", "team", 5),
    F("claim-next", "team", "ghost", tag="unknown", code="invalid", field="team"),
    F("claim-next", "team", "Web", tag="upper"),
    Bad(
        "claim-next-team-and-tracker",
        "POST",
        f"{TASKS}/claim",
        body={"team": "web", "tracker": "qa", "as_agent": "qa"},
        code="invalid",
        field="team",
        actor="owner",
    ),
    # Paths and queries.
    Bad("get-unknown", "GET", f"{TEAMS}/nosuch", status=404, code="not-found", actor="owner"),
    Bad("get-upper", "GET", f"{TEAMS}/Web", loc=("path", "team"), actor="owner"),
    Bad("get-65", "GET", f"{TEAMS}/{TOO_LONG}", loc=("path", "team"), actor="owner"),
    Bad(
        "patch-unknown",
        "PATCH",
        f"{TEAMS}/nosuch",
        body={"description": "x"},
        status=404,
        code="not-found",
        actor="owner",
    ),
    Bad(
        "remove-not-member",
        "DELETE",
        f"{TEAMS}/web/members/backend-x",
        status=404,
        code="not-found",
        actor="owner",
    ),
    Bad(
        "remove-bad-agent",
        "DELETE",
        f"{TEAMS}/web/members/Q%20A",
        loc=("path", "agent"),
        actor="owner",
    ),
    Bad(
        "remove-other-as-agent",
        "DELETE",
        f"{TEAMS}/busy/members/qa",
        status=403,
        code="forbidden",
        actor="backend",
    ),
    Bad("delete-busy", "DELETE", f"{TEAMS}/busy", status=409, code="team-busy", actor="owner"),
    Bad(
        "delete-busy-force-by-agent",
        "DELETE",
        f"{TEAMS}/busy",
        params={"force": "true"},
        status=403,
        code="forbidden",
        actor="backend",
    ),
    Bad(
        "delete-force-junk",
        "DELETE",
        f"{TEAMS}/busy",
        params={"force": "maybe-secret"},
        loc=("query", "force"),
        actor="owner",
        secret="maybe-secret",
    ),
    Bad("delete-unknown", "DELETE", f"{TEAMS}/nosuch", status=404, code="not-found", actor="owner"),
    Bad("list-limit-0", "GET", TEAMS, params={"limit": "0"}, loc=("query", "limit"), actor="owner"),
    Bad(
        "list-cursor-junk",
        "GET",
        TEAMS,
        params={"cursor": "###"},
        code="invalid-cursor",
        actor="owner",
    ),
    Bad(
        "tasks-team-upper",
        "GET",
        TASKS,
        params={"team": "Web"},
        loc=("query", "team"),
        actor="owner",
    ),
    Bad(
        "tasks-team-unknown",
        "GET",
        TASKS,
        params={"team": "ghost"},
        code="invalid",
        field="team",
        actor="owner",
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
    project of its own, populated like alpha)."""
    slug = f"ok-{route}"
    await world.factory.project(slug, world.users["owner"])
    await populate(world.database, world.settings, slug)
    if route in WRITES:
        method, path, body, _ = WRITES[route]
    else:
        (method, path, _), body = BODILESS[route], None
    path = path.replace("/projects/alpha/", f"/projects/{slug}/")
    response = await world.client.request(
        method,
        API + path,
        content=None if body is None else json.dumps(body),
        headers={**bearer(world.tokens["owner"]), "content-type": "application/json"},
    )
    assert response.status_code in (200, 201), response.text[:500]
