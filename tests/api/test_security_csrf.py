"""CSRF: every state-changing route reachable with a cookie session refuses a request without
the session's own CSRF token, and changes nothing.

The REST cases reuse the authorization matrix's rows (so every write route, with a body that
would succeed): for each, the owner's cookie session sends it with no token, a wrong one and
another session's (403 ``csrf``, tables unchanged), then, where the owner may, with the right
one (the row's success status: the refused request was a real one). The dashboard's forms get
the same three tokens. The app does not check ``Origin``: the token is the defence, so a
cross-site ``Origin`` neither lets a request through nor is needed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.edge.credentials import SESSION_COOKIE
from crewboard.edge.csrf import CSRF_HEADER
from tests.api.harness import API, assert_problem, quiet_settings
from tests.api.matrix import OWNER_PASSWORD, Row, World, build_world
from tests.api.test_authz_matrix import MATRIX, app_routes
from tests.api.test_authz_matrix_live import MATRIX as LIVE
from tests.api.test_authz_matrix_markdown import MATRIX as MARKDOWN
from tests.api.test_authz_matrix_messages import MATRIX as MESSAGES
from tests.api.test_authz_matrix_tasks import MATRIX as TASKS
from tests.api.test_authz_matrix_teams import MATRIX as TEAMS
from tests.api.test_authz_matrix_webhooks import MATRIX as WEBHOOKS
from tests.support.database import snapshot
from tests.support.factory import Factory
from tests.support.http import client_for
from tests.support.http import form_login as web_login
from tests.web.routes import FIELDS, WEB_ROUTES
from tests.web.test_pages import seed_shop

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

ROWS = MATRIX + TASKS + TEAMS + MESSAGES + LIVE + WEBHOOKS + MARKDOWN
# Writes with a row, one case per route (the first row: the owner's plainest variant).
WRITE_ROWS: dict[tuple[str, str], Row] = {}
# Writes no cookie can authenticate: the crew exchange takes a bearer crew credential only.
BEARER_ONLY = {("POST", "/crew/exchange")}
for _row in ROWS:
    if _row.method != "GET" and (_row.method, _row.route) not in BEARER_ONLY:
        WRITE_ROWS.setdefault((_row.method, _row.route), _row)
# Public writes: no session to forge (setup and login have their own tests).
PUBLIC_WRITES = {("POST", "/auth/setup"), ("POST", "/auth/login")}
CROSS_SITE = {"origin": "https://evil.example", "referer": "https://evil.example/x"}


def test_every_write_route_has_a_csrf_case() -> None:
    served = {
        (method, path.removeprefix(API))
        for method, path in app_routes()
        if path.startswith(API) and method not in ("GET", "*")
    }
    assert served - PUBLIC_WRITES - BEARER_ONLY == set(WRITE_ROWS)


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[World]:
    # No background jobs: a webhook delivery attempt would change rows under the snapshots.
    settings = quiet_settings(base_settings).model_copy(update={"jobs_enabled": False})
    async with build_world(migrated_database, settings) as world:
        yield world


async def cookie_session(world: World) -> tuple[str, str]:
    """A fresh login of alpha's owner: its cookie and its CSRF token."""
    response = await world.client.post(
        f"{API}/auth/login", json={"email": "owner@example.com", "password": OWNER_PASSWORD}
    )
    assert response.status_code == 200, response.text
    world.client.cookies.clear()  # the shared client keeps no session of its own
    return response.cookies[SESSION_COOKIE], response.json()["csrf_token"]


@pytest.fixture(scope="module")
async def sessions(world: World) -> tuple[tuple[str, str], tuple[str, str]]:
    """Two sessions of the owner (logins cost an Argon2 check: made once per module)."""
    return await cookie_session(world), await cookie_session(world)


@pytest.mark.parametrize("key", list(WRITE_ROWS), ids=lambda key: f"{key[0]} {key[1]}")
async def test_cookie_write_without_its_csrf_token_is_403(
    world: World, sessions: tuple[tuple[str, str], tuple[str, str]], key: tuple[str, str]
) -> None:
    row = WRITE_ROWS[key]
    call = await row.prepare(world, "owner", row.route)
    (cookie, csrf), (_, others) = sessions
    if key == ("POST", "/auth/logout"):  # its success ends the session: use a fresh one
        cookie, csrf = await cookie_session(world)
    client = world.client
    assert others != csrf
    wrong = csrf[:-2] + ("AA" if not csrf.endswith("AA") else "BB")
    before = await snapshot(world.database)
    for headers in (
        {},
        {CSRF_HEADER: wrong},
        {CSRF_HEADER: others},
        CROSS_SITE,
        {**CROSS_SITE, CSRF_HEADER: others},
    ):
        response = await client.request(
            row.method,
            API + call.path,
            json=call.body,
            headers={**call.headers, **headers, "cookie": f"{SESSION_COOKIE}={cookie}"},
        )
        assert_problem(response, 403, "csrf")
        assert csrf not in response.text
        assert await snapshot(world.database) == before, headers
    if row.mark("owner") != "+":
        return
    # The same request with the session's own token goes through: the refusals were real.
    response = await client.request(
        row.method,
        API + call.path,
        json=call.body,
        headers={**call.headers, CSRF_HEADER: csrf, "cookie": f"{SESSION_COOKIE}={cookie}"},
    )
    assert response.status_code == row.ok, response.text[:300]


async def test_the_mcp_endpoint_ignores_cookie_sessions(world: World) -> None:
    """/mcp takes only Bearer agent tokens: a cookie (CSRF token or not) opens nothing."""
    cookie, csrf = await cookie_session(world)
    client = world.client
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    response = await client.post(
        "/mcp",
        json=body,
        headers={
            "cookie": f"{SESSION_COOKIE}={cookie}",
            CSRF_HEADER: csrf,
            "accept": "application/json, text/event-stream",
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"


# -- the dashboard's forms ----------------------------------------------------------------

WEB_POSTS = [path for method, _, path in WEB_ROUTES if method == "POST"]


async def test_every_form_refuses_another_sessions_token(
    database: Database, settings: Settings, factory: Factory
) -> None:
    await seed_shop(factory)
    async with (
        client_for(settings=settings, database=database) as mine,
        client_for(settings=settings, database=database) as theirs,
    ):
        csrf = await web_login(mine, "alice@example.com")
        others = await web_login(theirs, "alice@example.com")
        assert others != csrf
        wrong = csrf[:-2] + ("AA" if not csrf.endswith("AA") else "BB")
        before = await snapshot(database)
        for path in WEB_POSTS:
            for token in (None, wrong, others):
                fields = dict(FIELDS.get(path, {}))
                if token is not None:
                    fields["csrf_token"] = token
                for headers in ({}, CROSS_SITE):
                    answer = await mine.post(path, data=fields, headers=headers)
                    assert answer.status_code == 403, (path, token, answer.status_code)
                    assert csrf not in answer.text
        assert await snapshot(database) == before
        # Still logged in (logout refused) and the right token works, cross-site or not.
        answer = await mine.post(
            "/p/shop/tasks", data={"title": "Mine", "csrf_token": csrf}, headers=CROSS_SITE
        )
        assert answer.status_code == 303


async def test_a_cookie_never_opens_a_bearer_only_write(
    world: World, sessions: tuple[tuple[str, str], tuple[str, str]]
) -> None:
    """A web session, even with its own CSRF token, is no crew credential: 401, nothing done."""
    (cookie, csrf), _ = sessions
    before = await snapshot(world.database)
    for method, route in sorted(BEARER_ONLY):
        for headers in ({}, {CSRF_HEADER: csrf}, CROSS_SITE):
            response = await world.client.request(
                method,
                API + route,
                json={"agent": "backend"},
                headers={**headers, "cookie": f"{SESSION_COOKIE}={cookie}"},
            )
            assert_problem(response, 401, "unauthenticated")
    assert await snapshot(world.database) == before
