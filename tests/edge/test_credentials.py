"""Reading a credential: where it comes from, and the same refusal codes on every face."""

from __future__ import annotations

import httpx
import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.edge.credentials import SESSION_COOKIE
from tests.edge.faces import MCP_REQUESTS, SLUG, crew, dashboard, faces_client, mcp, rest
from tests.support.factory import Factory
from tests.support.http import API, PASSWORD, bearer, login, problem_code


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Basic YW5uOnB3", "bad-auth-header"),
        ("Bearer", "bad-auth-header"),
        ("Bearer    ", "bad-auth-header"),
        ("Token cb_abc", "bad-auth-header"),
        ("Bearer cb_" + "x" * 300, "invalid-token"),
        ("Bearer cb_unknown", "invalid-token"),
    ],
)
async def test_a_bad_authorization_header_is_401(
    client: httpx.AsyncClient, header: str, code: str
) -> None:
    response = await client.get(f"{API}/auth/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert problem_code(response) == code
    assert response.headers["www-authenticate"] == "Bearer"


async def test_the_bearer_scheme_is_case_insensitive(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    token = await factory.token(await factory.user("ann@example.com"))
    response = await client.get(f"{API}/auth/me", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


async def test_an_oversized_cookie_is_refused(client: httpx.AsyncClient) -> None:
    client.cookies.set(SESSION_COOKIE, "cb_" + "x" * 300)
    response = await client.get(f"{API}/auth/me")
    assert response.status_code == 401
    assert problem_code(response) == "invalid-token"


async def test_the_bearer_token_wins_over_the_cookie(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    await login(client, "ann@example.com")
    bob = await factory.user("bob@example.com")
    me = await client.get(f"{API}/auth/me", headers=bearer(await factory.token(bob)))
    assert me.json()["user"]["email"] == "bob@example.com"
    assert me.json()["csrf_token"] is None
    # A bearer change with a session cookie present needs no CSRF token either.
    created = await client.post(
        f"{API}/projects", json={"slug": "bobs"}, headers=bearer(await factory.token(bob))
    )
    assert created.status_code == 201


TOO_LONG = "cb_" + "x" * 300
MCP_ALL = tuple(f"mcp {method}" for method in MCP_REQUESTS)


def same(code: str, *faces: str) -> dict[str, str]:
    return dict.fromkeys(faces, code)


async def test_the_same_bad_credential_gets_the_same_code_on_every_face(
    database: Database, settings: Settings, factory: Factory
) -> None:
    """REST and MCP read the Authorization header, REST and the dashboard the session cookie:
    each bad credential is refused with one code wherever it is sent (the dashboard's through
    its own dependency; its pages turn the refusal into the login page)."""
    w = await crew(database, settings, factory)
    agent, person, web = await w.agent_token(), await w.person_token(), await w.web_session()
    headers = {
        "no credential": (None, same("unauthenticated", "rest", *MCP_ALL)),
        "not bearer": ("Token cb_abc", same("bad-auth-header", "rest", *MCP_ALL)),
        "no token": ("Bearer   ", same("bad-auth-header", "rest", *MCP_ALL)),
        "too long": (f"Bearer {TOO_LONG}", same("invalid-token", "rest", *MCP_ALL)),
        "unknown": ("Bearer cb_unknown", same("invalid-token", "rest", *MCP_ALL)),
        "revoked": (
            f"Bearer {await w.revoke(await w.agent_token())}",
            same("revoked-token", "rest", *MCP_ALL),
        ),
        "expired": (
            f"Bearer {await w.expire(await w.agent_token())}",
            same("expired-token", "rest", *MCP_ALL),
        ),
        "person": (f"Bearer {person}", {"rest": "ok", **same("agent-token-required", *MCP_ALL)}),
        "agent": (f"Bearer {agent}", same("ok", "rest", *MCP_ALL)),
    }
    cookies = {
        "no cookie": (None, same("unauthenticated", "rest", "dashboard")),
        "too long": (TOO_LONG, same("invalid-token", "rest", "dashboard")),
        "unknown": ("cb_unknown", same("invalid-token", "rest", "dashboard")),
        "revoked": (
            await w.revoke(await w.web_session()),
            same("revoked-token", "rest", "dashboard"),
        ),
        "expired": (
            await w.expire(await w.web_session()),
            same("expired-token", "rest", "dashboard"),
        ),
        "api token": (person, {"rest": "ok", "dashboard": "unauthenticated"}),
        "web login": (web, same("ok", "rest", "dashboard")),
    }
    async with faces_client(settings, database) as http:
        for name, (header, expected) in headers.items():
            answers = {"rest": await rest(http, header=header)}
            for method, body in MCP_REQUESTS.items():
                answers[f"mcp {method}"] = await mcp(http, body, header)
            assert answers == expected, name
        for name, (cookie, expected) in cookies.items():
            answers = {
                "rest": await rest(http, cookie=cookie),
                "dashboard": await dashboard(http, cookie),
            }
            assert answers == expected, name


async def test_the_dashboard_pages_send_a_bad_session_to_the_login_page(
    database: Database, settings: Settings, factory: Factory
) -> None:
    w = await crew(database, settings, factory)
    async with faces_client(settings, database) as http:
        for cookie in ("cb_unknown", TOO_LONG, await w.revoke(await w.web_session())):
            http.cookies.set(SESSION_COOKIE, cookie)
            page = await http.get(f"/p/{SLUG}")
            assert (page.status_code, page.headers["location"]) == (303, "/login"), cookie[:20]
        http.cookies.clear()
        page = await http.get(f"/p/{SLUG}")
        assert page.headers["location"] == f"/login?next=/p/{SLUG}"
