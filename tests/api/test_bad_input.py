"""Bad input to every write route: the right problem, nothing echoed, nothing written.

Every case runs against one world per backend (built once for the module); each case
snapshots every table before and after its request and requires them to be identical.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import AuthSession, utcnow
from crewboard.services.core import unit_of_work
from crewboard.services.projects import Role
from tests.api.harness import (
    API,
    Bad,
    assert_no_echo,
    assert_problem,
    assert_refused,
    cursor,
    quiet_settings,
    send_bad,
)
from tests.support.database import empty_database, snapshot
from tests.support.factory import Factory, issue_token
from tests.support.http import bearer, client_for
from tests.support.world import ApiWorld

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

OWNER_PASSWORD = "owner-password-1"
HUGE = "n" * 10_000
LONG_EMAIL = "u" * 288 + "@example.com"  # 300 characters
LONG_PASSWORD = "p" * 299 + "!"  # 300 characters
LONG_SLUG = "s" * 65


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[ApiWorld]:
    database = migrated_database
    base_settings = quiet_settings(base_settings)
    await empty_database(database)
    factory = Factory(database, base_settings)
    users = {
        "admin": await factory.user("admin@example.com", admin=True),
        "owner": await factory.user("owner@example.com", password=OWNER_PASSWORD),
    }
    await factory.project("alpha", users["owner"])
    await factory.agent("alpha", "backend")
    await factory.member("alpha", "admin@example.com", Role.MEMBER)
    tokens = {name: await factory.token(user_id) for name, user_id in users.items()}
    async with client_for(settings=base_settings, database=database) as client:
        for token in tokens.values():
            assert (await client.get(f"{API}/auth/me", headers=bearer(token))).status_code == 200
        yield ApiWorld(database, base_settings, client, factory, users, dict(tokens))


# The write routes, each with a body it would accept (so only the named flaw is wrong).
WRITES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "setup": (
        "POST",
        "/auth/setup",
        {"setup_secret": "cbsetup_x", "email": "first@example.com", "password": "long-password"},
    ),
    "login": ("POST", "/auth/login", {"email": "owner@example.com", "password": OWNER_PASSWORD}),
    "user-create": ("POST", "/users", {"email": "new@example.com"}),
    "user-patch": ("PATCH", "/users/{owner}", {"name": "Renamed"}),
    "profile": ("PATCH", "/users/me", {"name": "Renamed"}),
    "token-create": ("POST", "/tokens", {"name": "new token"}),
    "project-create": ("POST", "/projects", {"slug": "fresh"}),
    "project-patch": ("PATCH", "/projects/alpha", {"name": "Renamed"}),
    "member-put": (
        "PUT",
        "/projects/alpha/members",
        {"email": "owner@example.com", "role": "viewer"},
    ),
    "agent-create": ("POST", "/projects/alpha/agents", {"name": "qa"}),
    "agent-patch": ("PATCH", "/projects/alpha/agents/backend", {"domain": "changed"}),
}


def actor_of(route: str) -> str:
    return "owner" if route == "profile" else "admin"  # the admin has no password to check


def shape_cases() -> list[Bad]:
    """Bodies that are not the right JSON object at all, on every write route."""
    cases: list[Bad] = []
    for route, (method, path, valid) in WRITES.items():
        who = actor_of(route)
        cases += [
            Bad(
                f"{route}-malformed",
                method,
                path,
                raw=b'{"name": "half-written-secret',
                status=400,
                code="malformed-json",
                loc=("body", 9),
                actor=who,
                secret="half-written-secret",
            ),
            Bad(f"{route}-empty", method, path, loc=("body",), actor=who),
            Bad(f"{route}-list", method, path, body=[valid], loc=("body",), actor=who),
            Bad(
                f"{route}-string",
                method,
                path,
                body="a-json-string",
                loc=("body",),
                actor=who,
                secret="a-json-string",
            ),
            Bad(f"{route}-null", method, path, body=None, loc=("body",), actor=who),
            Bad(
                f"{route}-unknown-field",
                method,
                path,
                body={**valid, "is_owner": "sneaky-extra"},
                loc=("body", "is_owner"),
                actor=who,
                secret="sneaky-extra",
            ),
        ]
    return cases


def field_case(
    route: str, name: str, value: Any, *, rule: bool = False, tag: str = "", **body: Any
) -> Bad:
    """The route's valid body with one field set to ``value``.

    ``rule``: the schema lets it through and a service rule refuses it (``field`` names it).
    """
    method, path, valid = WRITES[route]
    return Bad(
        f"{route}-{name}-{tag or type(value).__name__}",
        method,
        path,
        body={**valid, **body, name: value},
        code="invalid" if rule else "validation",
        loc=None if rule else ("body", name),
        field=name if rule else None,
        actor=actor_of(route),
        secret=value if isinstance(value, str) and len(value) >= 3 else None,
    )


F = field_case
FIELD_CASES = [
    F("setup", "email", LONG_EMAIL, tag="300"),
    F("setup", "email", 5),
    F("setup", "password", LONG_PASSWORD, tag="300"),
    F("setup", "password", "pw-7chr", tag="7-chars"),
    F("setup", "setup_secret", 12345),
    F("setup", "name", HUGE, tag="10k"),
    F("login", "email", LONG_EMAIL, tag="300"),
    F("login", "email", 42),
    F("login", "password", LONG_PASSWORD, tag="300"),
    F("login", "password", True),
    F("login", "email", "nul\x00@example.com", rule=True, tag="nul"),
    F("user-create", "is_admin", "true"),
    F("user-create", "is_admin", 1),
    F("user-create", "email", LONG_EMAIL, tag="300"),
    F("user-create", "email", "not-an-email-address", tag="no-at"),
    F("user-create", "password", LONG_PASSWORD, tag="300"),
    F("user-create", "name", HUGE, tag="10k"),
    F("user-create", "name", 123),
    F("user-create", "name", "bell\x07name", rule=True, tag="control"),
    F("user-patch", "disabled", "true"),
    F("user-patch", "is_admin", 0),
    F("user-patch", "name", HUGE, tag="10k"),
    F("user-patch", "name", "", tag="empty"),
    F("profile", "name", HUGE, tag="10k"),
    F("profile", "name", 7),
    F("profile", "new_password", LONG_PASSWORD, tag="300"),
    F("profile", "current_password", 123),
    # A wrong current_password is a counted guess (one login_attempts row, like a login's):
    # tests/api/routes/test_users.py.
    F("token-create", "user_id", "1"),
    F("token-create", "user_id", 2**40, tag="beyond-int32"),
    F("token-create", "user_id", 0, tag="zero"),
    F("token-create", "expires_in_days", "30"),
    F("token-create", "expires_in_days", 0, tag="zero"),
    F("token-create", "expires_in_days", 100_000, tag="huge"),
    F("token-create", "read_only", "yes"),
    F("token-create", "name", HUGE, tag="10k"),
    F("token-create", "project", "Alpha", tag="upper", agent_name="backend"),
    F("token-create", "agent_name", "../x", tag="dotdot", project="alpha"),
    Bad(
        "token-create-half-binding",
        "POST",
        "/tokens",
        body={"project": "alpha"},
        code="invalid",
        field="agent",
    ),
    F("project-create", "slug", LONG_SLUG, tag="65"),
    F("project-create", "slug", "Alpha", tag="upper"),
    F("project-create", "slug", "my proj", tag="space"),
    F("project-create", "slug", "../x", tag="dotdot"),
    F("project-create", "slug", "-x", tag="leading-dash"),
    F("project-create", "slug", "x-", tag="trailing-dash"),
    F("project-create", "slug", 7),
    F("project-create", "name", HUGE, tag="10k"),
    F("project-create", "repo_path", "r" * 2000, tag="2000"),
    F("project-patch", "name", HUGE, tag="10k"),
    F("project-patch", "name", 5),
    F("project-patch", "repo_path", "r" * 2000, tag="2000"),
    F("project-patch", "repo_path", "nul\x00path", rule=True, tag="nul"),
    F("member-put", "email", LONG_EMAIL, tag="300"),
    F("member-put", "role", "boss", tag="unknown"),
    F("member-put", "role", 1),
    F("member-put", "agent_name", "Backend", tag="upper", role="agent"),
    F("member-put", "agent_name", "has space", tag="space", role="agent"),
    F("member-put", "agent_name", None, rule=True, tag="missing", role="agent"),
    F("agent-create", "name", "Backend", tag="upper"),
    F("agent-create", "name", "my agent", tag="space"),
    F("agent-create", "name", "../x", tag="dotdot"),
    F("agent-create", "name", "-x", tag="leading-dash"),
    F("agent-create", "name", "a" * 65, tag="65"),
    F("agent-create", "name", 3),
    F("agent-create", "domain", HUGE, tag="10k"),
    F("agent-create", "tracker_path", "/etc/passwd", rule=True, tag="absolute"),
    F("agent-create", "tracker_path", "../outside.md", rule=True, tag="dotdot"),
    F("agent-create", "tracker_path", "a/../../b.md", rule=True, tag="inner-dotdot"),
    F("agent-create", "tracker_path", "a\\b.md", rule=True, tag="backslash"),
    F("agent-create", "tracker_path", "t" * 301, tag="301"),
    F("agent-create", "tracker_path", "", tag="empty"),
    F("agent-patch", "tracker_path", "/abs/tracker.md", rule=True, tag="absolute"),
    F("agent-patch", "tracker_path", "../tracker.md", rule=True, tag="dotdot"),
    F("agent-patch", "domain", 1),
    F("agent-patch", "domain", HUGE, tag="10k"),
]


PARAM_CASES = [
    Bad("path-user-id-text", "PATCH", "/users/abc", body={"name": "x"}, loc=("path", "user_id")),
    Bad(
        "path-user-id-int32",
        "PATCH",
        "/users/2147483648",
        body={"name": "x"},
        loc=("path", "user_id"),
    ),
    Bad("path-user-id-zero", "GET", "/users/0", loc=("path", "user_id")),
    Bad("path-user-id-float", "GET", "/users/1.5", loc=("path", "user_id")),
    Bad("path-token-id-text", "DELETE", "/tokens/abc", loc=("path", "token_id")),
    Bad("path-token-id-int32", "DELETE", "/tokens/99999999999", loc=("path", "token_id")),
    Bad("path-member-id-text", "DELETE", "/projects/alpha/members/abc", loc=("path", "user_id")),
    Bad(
        "path-member-id-int32",
        "DELETE",
        "/projects/alpha/members/2147483648",
        loc=("path", "user_id"),
    ),
    Bad("path-slug-upper", "PATCH", "/projects/Alpha", body={"name": "x"}, loc=("path", "slug")),
    Bad("path-slug-65", "GET", f"/projects/{LONG_SLUG}", loc=("path", "slug")),
    Bad("path-slug-dash", "DELETE", "/projects/-x/members/1", loc=("path", "slug")),
    Bad(
        "path-agent-upper",
        "PATCH",
        "/projects/alpha/agents/Backend",
        body={"domain": "x"},
        loc=("path", "name"),
    ),
    Bad("path-agent-dash", "DELETE", "/projects/alpha/agents/-x", loc=("path", "name")),
    Bad("query-limit-0", "GET", "/users", params={"limit": "0"}, loc=("query", "limit")),
    Bad("query-limit-1000", "GET", "/projects", params={"limit": "1000"}, loc=("query", "limit")),
    Bad("query-limit-text", "GET", "/tokens", params={"limit": "ten"}, loc=("query", "limit")),
    Bad(
        "query-limit-float",
        "GET",
        "/projects/alpha/agents",
        params={"limit": "1.5"},
        loc=("query", "limit"),
    ),
    Bad("query-cursor-garbage", "GET", "/users", params={"cursor": "%%%"}, code="invalid-cursor"),
    Bad(
        "query-cursor-not-id",
        "GET",
        "/projects",
        params={"cursor": cursor("pk:3")},
        code="invalid-cursor",
    ),
    Bad(
        "query-cursor-negative",
        "GET",
        "/projects/alpha/members",
        params={"cursor": cursor("id:-1")},
        code="invalid-cursor",
    ),
    Bad(
        "query-cursor-beyond-int32",
        "GET",
        "/projects/alpha/agents",
        params={"cursor": cursor("id:1099511627776")},
        code="invalid-cursor",
    ),
    Bad(
        "query-cursor-201",
        "GET",
        "/tokens",
        params={"cursor": "c" * 201},
        loc=("query", "cursor"),
        secret="c" * 201,
    ),
    Bad("query-user-id-text", "GET", "/tokens", params={"user_id": "me"}, loc=("query", "user_id")),
    Bad(
        "query-user-id-int32",
        "GET",
        "/tokens",
        params={"user_id": "2147483648"},
        loc=("query", "user_id"),
    ),
    Bad(
        "body-lone-surrogate",
        "PATCH",
        "/projects/alpha",
        raw=b'{"name": "\\ud800x"}',
        loc=("body", "name"),
    ),
]

CASES = shape_cases() + FIELD_CASES + PARAM_CASES


async def send(world: ApiWorld, case: Bad) -> httpx.Response:
    path = case.path.format(owner=world.users["owner"])
    return await send_bad(world.client, world.tokens[case.actor], case, path)


def test_cases_are_distinct() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    assert {c.path for c in CASES} >= {path for _, path, _ in WRITES.values()}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_bad_input_is_refused_and_changes_nothing(world: ApiWorld, case: Bad) -> None:
    before = await snapshot(world.database)
    assert_refused(await send(world, case), case)
    assert await snapshot(world.database) == before


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("route", list(WRITES))
async def test_body_over_limit_is_413(world: ApiWorld, route: str, chunked: bool) -> None:
    method, path, _ = WRITES[route]
    limit = world.settings.max_body_bytes
    payload = b'{"name": "' + b"x" * limit + b'"}'
    content: bytes | AsyncIterator[bytes] = payload
    if chunked:

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(payload), 65_536):
                yield payload[start : start + 65_536]

        content = chunks()
    headers = {**bearer(world.tokens[actor_of(route)]), "content-type": "application/json"}
    before = await snapshot(world.database)
    response = await world.client.request(
        method, API + path.format(owner=world.users["owner"]), content=content, headers=headers
    )
    assert ("content-length" in response.request.headers) is not chunked
    assert_problem(response, 413, "body-too-large")
    assert_no_echo(response, "x" * 100)
    assert await snapshot(world.database) == before


# -- credentials ------------------------------------------------------------------------

BAD_AUTH = {
    "basic-scheme": ("Basic b3duZXI6b3duZXItcGFzc3dvcmQ=", "bad-auth-header"),
    "scheme-only": ("Bearer", "bad-auth-header"),
    "other-scheme": ("Token cb_some-token-value", "bad-auth-header"),
    "overlong": ("Bearer cb_" + "t" * 300, "invalid-token"),
    "unknown": ("Bearer cb_" + "u" * 43, "invalid-token"),
}
PROBES = [("POST", "/projects", {"slug": "made-anyway"}), ("GET", "/auth/me", None)]


async def assert_refused_credential(world: ApiWorld, header: str, code: str) -> None:
    """Each probe gets 401 with the reason, echoes nothing and writes nothing."""
    for method, path, body in PROBES:
        before = await snapshot(world.database)
        response = await world.client.request(
            method, API + path, json=body, headers={"Authorization": header}
        )
        assert_problem(response, 401, code)
        assert response.headers["www-authenticate"] == "Bearer"
        assert_no_echo(response, header.partition(" ")[2])
        assert await snapshot(world.database) == before


@pytest.mark.parametrize("kind", list(BAD_AUTH))
async def test_bad_credential_is_401(world: ApiWorld, kind: str) -> None:
    header, code = BAD_AUTH[kind]
    await assert_refused_credential(world, header, code)


@pytest.mark.parametrize("how", ["expired", "revoked", "disabled"])
async def test_dead_credential_is_401_with_its_reason(world: ApiWorld, how: str) -> None:
    user_id = await world.factory.user(f"dead-{how}@example.com")
    token_id, token = await issue_token(
        world.database, world.settings, user_id, expires_in=timedelta(minutes=1)
    )
    if how == "expired":
        async with unit_of_work(world.database, write=True) as session:
            record = await session.get(AuthSession, token_id)
            assert record is not None
            record.expires_at = utcnow() - timedelta(seconds=1)
    elif how == "revoked":
        response = await world.client.delete(f"{API}/tokens/{token_id}", headers=bearer(token))
        assert response.status_code == 204
    else:
        response = await world.client.patch(
            f"{API}/users/{user_id}", json={"disabled": True}, headers=bearer(world.tokens["admin"])
        )
        assert response.status_code == 200
    code = {"expired": "expired-token", "revoked": "revoked-token", "disabled": "disabled-user"}
    await assert_refused_credential(world, f"Bearer {token}", code[how])


# -- login throttling -------------------------------------------------------------------


async def failed_login(client: httpx.AsyncClient, world: ApiWorld, email: str) -> None:
    """A wrong password: 401, and one more login_attempts row, nothing else."""
    before = await snapshot(world.database)
    response = await client.post(
        f"{API}/auth/login", json={"email": email, "password": "wrong-password-guess"}
    )
    assert_problem(response, 401, "bad-login")
    assert_no_echo(response, "wrong-password-guess")
    after = await snapshot(world.database)
    assert after.pop("login_attempts")[0] == before.pop("login_attempts")[0] + 1
    assert after == before


async def assert_throttled(
    client: httpx.AsyncClient, world: ApiWorld, settings: Settings, email: str, password: str
) -> None:
    """The right password is refused with 429 and Retry-After; nothing is recorded."""
    before = await snapshot(world.database)
    response = await client.post(f"{API}/auth/login", json={"email": email, "password": password})
    assert_problem(response, 429, "rate-limited")
    assert response.headers["retry-after"] == str(settings.login_window_seconds)
    assert "set-cookie" not in response.headers
    assert_no_echo(response, password)
    assert await snapshot(world.database) == before


async def test_login_is_throttled_per_email(world: ApiWorld) -> None:
    email, password = "throttled@example.com", "throttled-password"
    await world.factory.user(email, password=password)
    limited = world.settings.model_copy(update={"login_max_failures_per_email": 3})
    async with client_for(settings=limited, database=world.database, peer="10.0.0.1") as client:
        for _ in range(3):
            await failed_login(client, world, email)
        await assert_throttled(client, world, limited, email, password)
        # Another e-mail from the same client is still only told the password is wrong.
        await failed_login(client, world, "admin@example.com")


async def test_login_is_throttled_per_client(world: ApiWorld) -> None:
    limited = world.settings.model_copy(update={"login_max_failures_per_client": 2})
    async with client_for(settings=limited, database=world.database, peer="10.0.0.2") as client:
        await failed_login(client, world, "nobody@example.com")
        await failed_login(client, world, "someone@example.com")
        await assert_throttled(client, world, limited, "owner@example.com", OWNER_PASSWORD)
    async with client_for(settings=limited, database=world.database, peer="10.0.0.3") as client:
        login = {"email": "owner@example.com", "password": OWNER_PASSWORD}
        assert (await client.post(f"{API}/auth/login", json=login)).status_code == 200
