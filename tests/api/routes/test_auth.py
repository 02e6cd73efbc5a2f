"""/auth: first-admin setup, the cookie login flow, logout and "who am I"."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.edge.credentials import SESSION_COOKIE
from crewboard.models import LoginAttempt
from crewboard.services.accounts import AuthService
from crewboard.services.core import unit_of_work
from tests.support.factory import Factory
from tests.support.http import API, PASSWORD, bearer, client_for, login, problem_code

USER_FIELDS = {"id", "email", "name", "is_admin", "created_at", "disabled_at"}


async def test_setup_creates_the_first_admin_once(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    async with unit_of_work(database, write=True) as session:
        secret = await AuthService(session, settings).issue_setup_secret()
    assert secret is not None
    body = {"setup_secret": secret, "email": "Root@Example.com", "password": PASSWORD}

    wrong = await client.post(f"{API}/auth/setup", json={**body, "setup_secret": "cbsetup_nope"})
    assert wrong.status_code == 401
    assert problem_code(wrong) == "bad-setup-secret"

    created = await client.post(f"{API}/auth/setup", json=body)
    assert created.status_code == 201, created.text
    user = created.json()
    assert set(user) == USER_FIELDS
    assert (user["email"], user["name"], user["is_admin"]) == ("root@example.com", "root", True)

    again = await client.post(f"{API}/auth/setup", json=body)
    assert again.status_code == 401
    assert problem_code(again) == "bad-setup-secret"
    # The new admin can log in.
    await login(client, "root@example.com")


async def test_login_sets_a_safe_cookie_and_returns_a_csrf_token(
    client: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    ann = await factory.user("ann@example.com", password=PASSWORD)
    response = await client.post(
        f"{API}/auth/login", json={"email": "ANN@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"user", "csrf_token", "expires_at"}
    assert body["user"]["id"] == ann
    assert set(body["user"]) == USER_FIELDS
    assert len(body["csrf_token"]) == 64

    cookie = response.headers["set-cookie"]
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert cookie.startswith(f"{SESSION_COOKIE}=cb_")
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert attributes["path"] == "Path=/"
    assert attributes["max-age"] == f"Max-Age={settings.web_session_hours * 3600}"
    assert "secure" not in attributes  # plain HTTP by default (cookie_secure turns it on)
    assert SESSION_COOKIE in client.cookies


async def test_the_cookie_is_secure_when_configured(
    database: Database, settings: Settings, factory: Factory
) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    secure = settings.model_copy(update={"cookie_secure": True})
    async with client_for(settings=secure, database=database) as http:
        response = await http.post(
            f"{API}/auth/login", json={"email": "ann@example.com", "password": PASSWORD}
        )
    assert response.status_code == 200
    assert "secure" in response.headers["set-cookie"].lower().split("; ")


async def test_a_wrong_password_is_401_and_counted(
    client: httpx.AsyncClient, database: Database, factory: Factory
) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    response = await client.post(
        f"{API}/auth/login", json={"email": "ann@example.com", "password": "not the password"}
    )
    assert response.status_code == 401
    assert problem_code(response) == "bad-login"
    assert response.headers["www-authenticate"] == "Bearer"
    assert "set-cookie" not in response.headers
    assert "not the password" not in response.text
    async with unit_of_work(database, write=False) as session:
        attempts = (await session.scalars(select(LoginAttempt))).all()
    assert [(a.email, a.succeeded) for a in attempts] == [("ann@example.com", False)]


async def test_repeated_failures_are_throttled_with_retry_after(
    database: Database, settings: Settings, factory: Factory
) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    strict = settings.model_copy(update={"login_max_failures_per_email": 2})
    async with client_for(settings=strict, database=database) as http:
        wrong = {"email": "ann@example.com", "password": "not the password"}
        for _ in range(2):
            assert (await http.post(f"{API}/auth/login", json=wrong)).status_code == 401
        response = await http.post(
            f"{API}/auth/login", json={"email": "ann@example.com", "password": PASSWORD}
        )
    assert response.status_code == 429
    assert problem_code(response) == "rate-limited"
    assert response.headers["retry-after"] == str(strict.login_window_seconds)
    assert response.json()["retry_after"] == strict.login_window_seconds


async def test_me_for_a_cookie_session(client: httpx.AsyncClient, factory: Factory) -> None:
    ann = await factory.user("ann@example.com", password=PASSWORD)
    csrf = await login(client, "ann@example.com")
    response = await client.get(f"{API}/auth/me")  # a GET needs no CSRF token
    assert response.status_code == 200
    body = response.json()
    assert body.pop("user")["id"] == ann
    assert body == {
        "kind": "user",
        "project": None,
        "agent_name": None,
        "scopes": ["read", "write"],
        "csrf_token": csrf,
    }


async def test_me_for_a_person_token_and_an_agent_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    await factory.project("web", ann)
    await factory.agent("web", "backend")
    person = await client.get(f"{API}/auth/me", headers=bearer(await factory.token(ann)))
    assert person.status_code == 200
    assert (person.json()["kind"], person.json()["csrf_token"]) == ("user", None)

    token = await factory.token(ann, project="web", agent="backend", read_only=True)
    agent = await client.get(f"{API}/auth/me", headers=bearer(token))
    assert agent.status_code == 200
    body = agent.json()
    assert body["user"]["email"] == "ann@example.com"
    assert (body["kind"], body["project"], body["agent_name"]) == ("agent", "web", "backend")
    assert (body["scopes"], body["csrf_token"]) == (["read"], None)


async def test_me_without_a_credential_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/auth/me")
    assert response.status_code == 401
    assert problem_code(response) == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"


async def test_logout_revokes_the_session(client: httpx.AsyncClient, factory: Factory) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    csrf = await login(client, "ann@example.com")
    cookie = client.cookies[SESSION_COOKIE]

    refused = await client.post(f"{API}/auth/logout")  # a change by cookie needs the CSRF token
    assert refused.status_code == 403
    assert problem_code(refused) == "csrf"

    response = await client.post(f"{API}/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    assert response.headers["set-cookie"].startswith(f'{SESSION_COOKIE}=""')
    assert SESSION_COOKIE not in client.cookies

    # The old cookie, sent again, no longer works.
    client.cookies.set(SESSION_COOKIE, cookie)
    stale = await client.get(f"{API}/auth/me")
    assert stale.status_code == 401
    assert problem_code(stale) == "revoked-token"


async def test_logout_with_a_token_revokes_that_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    token = await factory.token(await factory.user("ann@example.com"))
    assert (await client.post(f"{API}/auth/logout", headers=bearer(token))).status_code == 204
    assert (await client.get(f"{API}/auth/me", headers=bearer(token))).status_code == 401
