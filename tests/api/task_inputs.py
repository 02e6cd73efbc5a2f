"""The world and the case builders of the task and changelog bad-input tests.

Project alpha with agents backend and qa, and tasks in every state a route needs (see
``populate``). Its owner acts as the backend agent by naming it (``as_agent``);
``backend`` is that agent's own token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import unit_of_work
from crewboard.services.tasks import ChangelogDraft, ChangelogService, Tasks
from tests.api.harness import API, Bad, assert_refused, quiet_settings, secret_of, send_bad
from tests.support.database import empty_database, snapshot
from tests.support.factory import SYSTEM, Factory
from tests.support.http import bearer, client_for
from tests.support.world import ApiWorld

INT32_OVER = 2**31
TASKS = "/projects/alpha/tasks"
LOG = "/projects/alpha/changelog"
# Task numbers in every world (see populate).
PENDING, HELD, BLOCKED, WAITS, DONE = 1, 2, 3, 4, 5
ENTRY = {"title": "Fixed it", "problem": "It broke", "fix": "Mended", "verified": "pytest"}


async def populate(database: Database, settings: Settings, slug: str) -> None:
    """Agents backend and qa, and tasks: #1 pending on backend's tracker; #2 in progress,
    held by backend; #3 blocked; #4 waits on #1; #5 completed; one changelog entry."""
    factory = Factory(database, settings)
    for agent in ("backend", "qa"):
        await factory.agent(slug, agent)
    async with unit_of_work(database, write=True) as session:
        tasks = Tasks(session, settings)
        for title in ("Pending", "Held", "Blocked"):
            await tasks.create(SYSTEM, slug, title=title, tracker="backend")
        await tasks.claim(SYSTEM, slug, HELD, as_agent="backend")
        await tasks.block(SYSTEM, slug, BLOCKED, reason="waiting")
        await tasks.create(SYSTEM, slug, title="Waits", tracker="qa", blocked_by=[PENDING])
        await tasks.create(SYSTEM, slug, title="Done", tracker="backend")
        await tasks.complete(SYSTEM, slug, DONE, outcome="done", as_agent="backend")
        draft = ChangelogDraft("Done", "p", "f", "v", task_numbers=[DONE])
        await ChangelogService(session, settings).append(SYSTEM, slug, draft, as_agent="backend")


# What a bad-input world puts in project ``slug`` (its owner is ``owner_id``); it must put
# agent ``backend`` on the roster.
Populate = Callable[[Database, Settings, str, int], Awaitable[None]]


async def populate_tasks(database: Database, settings: Settings, slug: str, _owner: int) -> None:
    """``populate`` as a world's hook."""
    await populate(database, settings, slug)


@asynccontextmanager
async def open_world(
    database: Database, base_settings: Settings, fill: Populate = populate_tasks
) -> AsyncIterator[ApiWorld]:
    """Project alpha, filled by ``fill``; the owner's token and backend's, each used once
    already (so a case never records a first use)."""
    settings = quiet_settings(base_settings)
    await empty_database(database)
    factory = Factory(database, settings)
    owner_id = await factory.user("owner@example.com")
    await factory.project("alpha", owner_id)
    await fill(database, settings, "alpha", owner_id)
    tokens = {
        "owner": await factory.token(owner_id),
        "backend": await factory.token(owner_id, project="alpha", agent="backend"),
    }
    async with client_for(settings=settings, database=database) as client:
        for token in tokens.values():  # first use recorded now, not during a case
            assert (await client.get(f"{API}/auth/me", headers=bearer(token))).status_code == 200
        yield ApiWorld(database, settings, client, factory, {"owner": owner_id}, dict(tokens))


# The write routes: method, path, a body it would accept (so only the named flaw is wrong),
# and who sends it. test_valid_bodies_are_accepted checks each body does get through.
WRITES: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "create": ("POST", TASKS, {"title": "New task"}, "owner"),
    "patch": ("PATCH", f"{TASKS}/{PENDING}", {"version": 1, "title": "Renamed"}, "owner"),
    "claim": ("POST", f"{TASKS}/{PENDING}/claim", {"as_agent": "backend"}, "owner"),
    "claim-next": ("POST", f"{TASKS}/claim", {"as_agent": "backend"}, "owner"),
    "start": ("POST", f"{TASKS}/{PENDING}/start", {}, "backend"),
    "block": ("POST", f"{TASKS}/{HELD}/block", {"reason": "waiting"}, "backend"),
    "unblock": ("POST", f"{TASKS}/{BLOCKED}/unblock", {}, "owner"),
    "complete": ("POST", f"{TASKS}/{HELD}/complete", {"outcome": "done"}, "backend"),
    "release": ("POST", f"{TASKS}/{HELD}/release", {}, "backend"),
    "depend": ("POST", f"{TASKS}/{PENDING}/dependencies", {"blocked_by": [HELD]}, "owner"),
    "follow-up": (
        "POST",
        f"{TASKS}/{PENDING}/follow-ups",
        {"tracker": "qa", "title": "Next"},
        "owner",
    ),
    "changelog": ("POST", LOG, {**ENTRY, "as_agent": "backend"}, "owner"),
}
# Writes without a body: they answer 2xx to exactly this request.
BODILESS = {
    "renew": ("POST", f"{TASKS}/{HELD}/renew", "backend"),
    "undepend": ("DELETE", f"{TASKS}/{WAITS}/dependencies/{PENDING}", "owner"),
}


AUTO = "<taken from the value>"


def field_case(
    route: str,
    name: str,
    value: Any,
    *,
    tag: str = "",
    http: int = 422,
    code: str = "validation",
    field: str | None = None,
    loc: tuple[str | int, ...] | None = None,
    secret: str | None = AUTO,
    **body: Any,
) -> Bad:
    """The route's valid body with ``name`` set to ``value`` (and ``body`` merged in).

    With the default ``code`` the schema refuses it at ``loc`` (default ``("body", name)``);
    with another, a service rule does (with status ``http``), naming ``field`` (if given).
    ``secret``: what the response must not contain (by default, taken from ``value``).
    """
    method, path, valid, who = WRITES[route]
    return Bad(
        f"{route}-{name}-{tag or type(value).__name__}",
        method,
        path,
        body={**valid, **body, name: value},
        status=http,
        code=code,
        loc=loc or (("body", name) if code == "validation" else None),
        field=field,
        actor=who,
        secret=secret_of(value) if secret is AUTO else secret,
    )


def rule(
    route: str, name: str, value: Any, *, tag: str, field: str | None = None, **body: Any
) -> Bad:
    """Past the schema, refused by a service rule (422 ``invalid``) naming ``field`` (or
    ``name``)."""
    return field_case(route, name, value, tag=tag, code="invalid", field=field or name, **body)


def ghost(route: str, name: str, **body: Any) -> Bad:
    """An agent that is not on the roster: 404, naming the field.

    The detail names the agent ("no agent ghost on the roster of alpha"): a name that
    matched the strict agent-name pattern to get this far, so it is not counted as an echo.
    """
    return field_case(
        route,
        name,
        "ghost",
        tag="unknown",
        http=404,
        code="not-found",
        field=name,
        secret=None,
        **body,
    )


F = field_case


def numbers(n: int) -> list[int]:
    return list(range(1, n + 1))


async def assert_refused_unchanged(world: ApiWorld, case: Bad) -> None:
    """The case gets its problem, and every table is the same before and after."""
    before = await snapshot(world.database)
    assert_refused(await send_bad(world.client, world.tokens[case.actor], case), case)
    assert await snapshot(world.database) == before
