"""Who may call which route: every route of the app against every kind of caller.

The machinery (actors, rows, the check) is in ``tests.api.matrix``; this file has the rows
of the foundation routes (auth, users, tokens, projects, members, agents),
``test_authz_matrix_tasks`` those of tasks and the changelog, ``test_authz_matrix_teams``
those of teams, ``test_authz_matrix_messages`` those of messages and inboxes,
``test_authz_matrix_webhooks`` those of webhooks, ``test_authz_matrix_markdown`` those of
the markdown files. Every call that
changes something targets an object made for that one case, or repeats an idempotent change, so
cases do not depend on each other's order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, select
from starlette.routing import Mount, Route, WebSocketRoute

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Invitation, Project, SetupSecret, utcnow
from crewboard.server.app import create_app
from crewboard.services.accounts.credentials import hash_token
from crewboard.services.core import unit_of_work
from crewboard.services.projects import Role
from tests.api.harness import API, assert_problem
from tests.api.matrix import (
    ACTORS,
    CREDENTIALS,
    FORGED,
    MARKS,
    OWNER_PASSWORD,
    Call,
    Row,
    World,
    build_world,
    check_grid,
    fill,
    run_case,
    with_body,
)
from tests.api.test_authz_matrix_live import MATRIX as LIVE_MATRIX
from tests.api.test_authz_matrix_markdown import MATRIX as MARKDOWN_MATRIX
from tests.api.test_authz_matrix_messages import MATRIX as MESSAGE_MATRIX
from tests.api.test_authz_matrix_tasks import MATRIX as TASK_MATRIX
from tests.api.test_authz_matrix_teams import MATRIX as TEAM_MATRIX
from tests.api.test_authz_matrix_webhooks import MATRIX as WEBHOOK_MATRIX
from tests.support.factory import issue_token
from tests.support.http import bearer
from tests.web.routes import WEB_PUBLIC, WEB_ROUTES, web_routes_of

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

# Public by design (no credential needed); each is tested below, outside the matrix.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", f"{API}/openapi.json"),
    ("POST", f"{API}/auth/setup"),
    ("POST", f"{API}/auth/login"),
}


async def own_credential(w: World, actor: str, route: str) -> Call:
    return Call(fill(route), await w.mint(actor))  # logging out revokes it


async def bystander(w: World, actor: str, route: str) -> Call:
    return Call(fill(route, user_id=w.users["bystander"]), w.tokens[actor], {"name": "Bystander"})


async def _invitation(w: World, slug: str, email: str) -> int:
    """An open invitation, written directly (an offer to a member would change a role)."""
    async with unit_of_work(w.database, write=True) as session:
        project_id = await session.scalar(select(Project.id).where(Project.slug == slug))
        await session.execute(
            delete(Invitation).where(Invitation.project_id == project_id, Invitation.email == email)
        )
        invitation = Invitation(
            project_id=project_id,
            email=email,
            role="viewer",
            invited_by="matrix",
            expires_at=utcnow() + timedelta(days=1),
        )
        session.add(invitation)
        await session.flush()
        return invitation.id


async def own_invitation(w: World, actor: str, route: str) -> Call:
    """An invitation to beta for the actor's own person (the credential's e-mail)."""
    cred = CREDENTIALS[actor]
    person = cred.person if cred is not None and cred.person else w.unique("nobody")
    invitation_id = await _invitation(w, "beta", f"{person}@example.com")
    return Call(fill(route, invitation_id=invitation_id), w.tokens[actor])


async def alpha_invitation(w: World, actor: str, route: str) -> Call:
    invitation_id = await _invitation(w, "alpha", w.unique("invitee") + "@example.com")
    return Call(fill(route, invitation_id=invitation_id), w.tokens[actor])


async def bystander_only(w: World, actor: str, route: str) -> Call:
    return Call(fill(route, user_id=w.users["bystander"]), w.tokens[actor])


async def others_token(w: World, actor: str, route: str) -> Call:
    token_id, _ = await issue_token(w.database, w.settings, w.users["bystander"])
    return Call(fill(route, token_id=token_id), w.tokens[actor])


async def own_token(w: World, actor: str, route: str) -> Call:
    cred = CREDENTIALS[actor]
    person = cred.person if cred is not None and cred.person is not None else "bystander"
    token_id, _ = await issue_token(w.database, w.settings, w.users[person])
    return Call(fill(route, token_id=token_id), w.tokens[actor])


async def throwaway_member(w: World, actor: str, route: str) -> Call:
    email = w.unique("leaver") + "@example.com"
    user_id = await w.factory.user(email)
    await w.factory.member("alpha", email, Role.VIEWER)
    return Call(fill(route, user_id=user_id), w.tokens[actor])


async def throwaway_agent(w: World, actor: str, route: str) -> Call:
    name = w.unique("temp")
    await w.factory.agent("alpha", name)
    return Call(fill(route, name=name), w.tokens[actor])


new_user = with_body(lambda w: {"email": w.unique("new") + "@example.com"})
rename = with_body(lambda w: {"name": "Same Name"})
new_token = with_body(lambda w: {"name": "matrix"})
backend_token = with_body(lambda w: {"project": "alpha", "agent_name": "backend"})
qa_token = with_body(lambda w: {"project": "alpha", "agent_name": "qa"})
crew_token = with_body(lambda w: {"project": "alpha", "crew": True})
exchange_for = with_body(lambda w: {"agent": "backend"})
new_project = with_body(lambda w: {"slug": w.unique("proj")})
rename_alpha = with_body(lambda w: {"name": "Alpha"})
add_bystander = with_body(lambda w: {"email": "bystander@example.com", "role": "viewer"})
new_agent = with_body(lambda w: {"name": w.unique("agent")})
redomain = with_body(lambda w: {"domain": "server side"})

# Grid columns, in ACTORS order (spaces only group them):
#     anon bad | viewer agent member owner admin | outsider | tok_a tok_b | ro
# Marks: + allowed (the row's ok status)   U 401   F 403   N 404   (all marks: matrix.MARKS)
# fmt: off
MATRIX = (
    #   method    route (under /api/v1)                 ok   grid
    Row("GET",    "/auth/me",                           200, "UU +++++ + ++ +"),
    # Logging out revokes the credential in hand; a read-only token may revoke itself.
    Row("POST",   "/auth/logout",                       204, "UU +++++ + ++ +", own_credential),
    Row("GET",    "/users",                             200, "UU FFFF+ F FF F"),
    Row("POST",   "/users",                             201, "UU FFFF+ F FF F", new_user),
    Row("GET",    "/users/me",                          200, "UU +++++ + ++ +"),
    Row("PATCH",  "/users/me",                          200, "UU +++++ + FF F", rename),
    Row("GET",    "/users/{user_id}",                   200, "UU NNNN+ N NN N", bystander),
    Row("PATCH",  "/users/{user_id}",                   200, "UU FFFF+ F FF F", bystander),
    Row("DELETE", "/users/{user_id}/login-failures",    200, "UU FFFF+ F FF F", bystander_only),
    Row("POST",   "/tokens",                            201, "UU +++++ + FF F", new_token, "own"),
    Row("POST",   "/tokens",                            201, "UU F++++ N FF F", backend_token,
        "agent token alpha/backend"),
    Row("POST",   "/tokens",                            201, "UU FF+++ N FF F", qa_token,
        "agent token alpha/qa"),
    Row("POST",   "/tokens",                            201, "UU FF+++ N FF F", crew_token),
    # Only a crew credential exchanges itself: every other credential is refused (401).
    Row("POST",   "/crew/exchange",                     200, "UU UUUUU U UU U", exchange_for),
    Row("GET",    "/tokens",                            200, "UU +++++ + FF +"),
    Row("DELETE", "/tokens/{token_id}",                 204, "UU NNNN+ N FF F", others_token,
        "someone else's"),
    Row("DELETE", "/tokens/{token_id}",                 204, "UU +++++ + FF F", own_token, "own"),
    Row("GET",    "/projects",                          200, "UU +++++ + ++ +"),
    Row("POST",   "/projects",                          201, "UU +++++ + FF F", new_project),
    Row("GET",    "/projects/{slug}",                   200, "UU +++++ N +N +"),
    Row("PATCH",  "/projects/{slug}",                   200, "UU FFF++ N FN F", rename_alpha),
    Row("GET",    "/projects/{slug}/members",           200, "UU +++++ N +N +"),
    # Someone not yet a member is invited (202), whoever asks, admins included.
    Row("PUT",    "/projects/{slug}/members",           202, "UU FFF++ N FN F", add_bystander),
    Row("GET",    "/projects/{slug}/invitations",       200, "UU FFF++ N FN +"),
    Row("DELETE", "/projects/{slug}/invitations/{invitation_id}", 204, "UU FFF++ N FN F",
        alpha_invitation),
    Row("GET",    "/invitations",                       200, "UU +++++ + FF +"),
    Row("POST",   "/invitations/{invitation_id}/accept", 200, "UU +++++ + FF F",
        own_invitation),
    Row("DELETE", "/invitations/{invitation_id}",       204, "UU +++++ + FF F", own_invitation),
    Row("DELETE", "/projects/{slug}/members/{user_id}", 204, "UU FFF++ N FN F", throwaway_member),
    Row("GET",    "/projects/{slug}/agents",            200, "UU +++++ N +N +"),
    Row("POST",   "/projects/{slug}/agents",            201, "UU FF+++ N FN F", new_agent),
    Row("GET",    "/projects/{slug}/agents/{name}",     200, "UU +++++ N +N +"),
    Row("PATCH",  "/projects/{slug}/agents/{name}",     200, "UU FF+++ N FN F", redomain),
    Row("DELETE", "/projects/{slug}/agents/{name}",     204, "UU FFF++ N FN F", throwaway_agent),
)
# fmt: on


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[World]:
    async with build_world(migrated_database, base_settings) as world:
        yield world


def app_routes() -> set[tuple[str, str]]:
    """(method, path) of everything the app serves: the OpenAPI operations, plus any route
    mounted on the app itself (a mount or a non-HTTP route counts as method '*')."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db"))
    found = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    for route in app.routes:
        if isinstance(route, Route):
            found |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
        elif isinstance(route, Mount | WebSocketRoute):
            found.add(("*", route.path))
    return found | web_routes_of(app)


def test_matrix_covers_every_route() -> None:
    """A new route fails here until it gets a row in a matrix (or is declared public)."""
    rows = (
        MATRIX
        + TASK_MATRIX
        + TEAM_MATRIX
        + MESSAGE_MATRIX
        + LIVE_MATRIX
        + WEBHOOK_MATRIX
        + MARKDOWN_MATRIX
    )
    in_matrix = {(row.method, API + row.route) for row in rows}
    served = app_routes()
    # The dashboard's routes have their own table, tested in tests/web/test_isolation.py.
    web = {(method, route) for method, route, _ in WEB_ROUTES} | WEB_PUBLIC
    assert not in_matrix & PUBLIC
    unlisted = sorted(served - in_matrix - PUBLIC - web)
    assert not unlisted, f"routes without a matrix row: {unlisted}"
    stale = sorted((in_matrix | PUBLIC | web) - served)
    assert not stale, f"matrix rows for routes the app does not serve: {stale}"
    ids = [row.id for row in rows]
    assert len(ids) == len(set(ids))
    for row in rows:
        check_grid(row)


def test_matrix_has_every_outcome() -> None:
    """Every column and every outcome is exercised (the table cannot silently degenerate)."""
    rows = (
        MATRIX
        + TASK_MATRIX
        + TEAM_MATRIX
        + MESSAGE_MATRIX
        + LIVE_MATRIX
        + WEBHOOK_MATRIX
        + MARKDOWN_MATRIX
    )
    marks = {row.mark(actor) for row in rows for actor in ACTORS}
    assert marks == {"+", *MARKS}
    for actor in ACTORS[2:]:
        assert any(row.expect(actor)[0] < 300 for row in rows), actor


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.id)
async def test_authorization(world: World, row: Row, actor: str) -> None:
    await run_case(world, row, actor)


async def test_public_routes_need_no_credential(world: World) -> None:
    client = world.client
    for path in ("/healthz", "/readyz", f"{API}/openapi.json"):
        for headers in ({}, bearer(FORGED)):
            assert (await client.get(path, headers=headers)).status_code == 200, path
    login = {"email": "owner@example.com", "password": OWNER_PASSWORD}
    response = await client.post(f"{API}/auth/login", json=login, headers=bearer(FORGED))
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email"] == "owner@example.com"
    wrong = {**login, "password": "not-the-password"}
    assert_problem(await client.post(f"{API}/auth/login", json=wrong), 401, "bad-login")


async def test_setup_is_public_but_only_once(world: World) -> None:
    setup = {"email": "second@example.com", "password": "a-long-password"}
    response = await world.client.post(f"{API}/auth/setup", json={**setup, "setup_secret": "x"})
    assert_problem(response, 401, "bad-setup-secret")
    secret = "cbsetup_matrix-secret"
    async with unit_of_work(world.database, write=True) as session:
        expires = utcnow() + timedelta(minutes=5)
        session.add(SetupSecret(secret_hash=hash_token(secret), expires_at=expires))
    response = await world.client.post(f"{API}/auth/setup", json={**setup, "setup_secret": secret})
    assert_problem(response, 409, "already-set-up")


async def test_agent_token_acts_only_as_its_agent(world: World) -> None:
    client, headers = world.client, bearer(world.tokens["tok_a"])
    # Identity comes from the credential, whatever the request says.
    response = await client.get(
        f"{API}/auth/me", params={"agent_name": "qa", "project": "beta"}, headers=headers
    )
    assert response.status_code == 200
    me = response.json()
    assert (me["kind"], me["project"], me["agent_name"]) == ("agent", "alpha", "backend")
    assert me["user"]["email"] == "member@example.com"
    for binding in (
        {"project": "alpha", "agent_name": "qa"},
        {"project": "beta", "agent_name": "qa"},
    ):
        response = await client.post(f"{API}/tokens", json=binding, headers=headers)
        assert_problem(response, 403, "forbidden")
    for path in ("/projects/beta", "/projects/beta/members", "/projects/beta/agents/qa"):
        assert_problem(await client.get(API + path, headers=headers), 404, "not-found")
    projects = (await client.get(f"{API}/projects", headers=headers)).json()["items"]
    assert [p["slug"] for p in projects] == ["alpha"]


async def test_agent_role_member_issues_tokens_only_for_its_agent(world: World) -> None:
    client, headers = world.client, bearer(world.tokens["agent"])
    response = await client.post(
        f"{API}/tokens", json={"project": "alpha", "agent_name": "backend"}, headers=headers
    )
    assert response.status_code == 201, response.text
    issued = response.json()
    assert issued["agent_name"] == "backend"
    me = (await client.get(f"{API}/auth/me", headers=bearer(issued["token"]))).json()
    assert (me["kind"], me["project"], me["agent_name"]) == ("agent", "alpha", "backend")
    assert me["user"]["email"] == "agent@example.com"


async def test_people_see_themselves_by_id_but_not_others(world: World) -> None:
    headers = bearer(world.tokens["viewer"])
    mine = await world.client.get(f"{API}/users/{world.users['viewer']}", headers=headers)
    assert mine.status_code == 200
    assert mine.json()["email"] == "viewer@example.com"
    other = await world.client.get(f"{API}/users/{world.users['owner']}", headers=headers)
    assert_problem(other, 404, "not-found")
    # A missing user looks exactly like one you may not see.
    missing = await world.client.get(f"{API}/users/999999", headers=headers)
    assert_problem(missing, 404, "not-found")
    assert missing.json()["detail"] == other.json()["detail"]


async def test_outsider_cannot_tell_missing_from_hidden(world: World) -> None:
    headers = bearer(world.tokens["outsider"])
    hidden = await world.client.get(f"{API}/projects/alpha/agents", headers=headers)
    missing = await world.client.get(f"{API}/projects/nosuch/agents", headers=headers)
    for response in (hidden, missing):
        assert_problem(response, 404, "not-found")
    assert hidden.json()["detail"].replace("alpha", "X") == missing.json()["detail"].replace(
        "nosuch", "X"
    )
