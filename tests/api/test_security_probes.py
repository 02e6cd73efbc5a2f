"""SQL injection and path traversal probes in every string parameter of the REST API.

The parameters come from the OpenAPI document: every path parameter, query parameter and
JSON body string field of every operation. Each gets the classic probes as alpha's owner (a
person who may do most things in alpha and nothing in beta). Every answer is below 500,
carries none of beta's data, no password hash and no other credential; a 2xx answer that
echoes the field has it verbatim; afterwards the schema and the users are intact.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest
from sqlalchemy import inspect, select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import User
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.messages import MessageService, Outgoing
from crewboard.services.tasks import Tasks
from crewboard.services.teams import TeamService
from tests.api.harness import API, quiet_settings
from tests.api.matrix import Row, World, build_world, fill
from tests.api.test_authz_matrix import app_routes
from tests.api.test_security_csrf import ROWS
from tests.api.test_security_impersonation import BODIES
from tests.support.http import bearer

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

PROBES = (
    "' OR '1'='1",
    "'; DROP TABLE tasks; --",
    '" OR ""="',
    "1 UNION SELECT password_hash FROM users",
    "%27",
    "../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "x%00y",
    "x\x00y",
    "\\..\\..\\windows\\win.ini",
    "a" * 20_000,
    "\u0430dmin",  # Cyrillic a: a homoglyph of "admin"
    "\uff42\uff41\uff43\uff4b\uff45\uff4e\uff44",  # fullwidth "backend"
)
# A password field costs an Argon2 check per request (so does a login's e-mail), and a typed
# parameter never reaches a query: they get the SQL probes and a traversal only.
SHORT_PROBES = (*PROBES[:4], PROBES[5])
BETA_MARK = "beta-secret-plan"
# Concrete values of the path parameters not being probed.
PATH_DEFAULTS = {
    "number": "1",
    "blocker": "1",
    "team": "web",
    "agent": "backend",
    "message_id": "1",
    "hook_id": "1",
    "invitation_id": "1",
    "token_id": "1",
    "user_id": "1",
}
# Routes whose answer streams: always asked for a replay that ends.
STREAMS = {"/projects/{slug}/events", "/projects/{slug}/inbox/stream"}
PUBLIC_BODIES = {
    "POST /auth/login": {"email": "owner@example.com", "password": "not-the-password"},
    "POST /auth/setup": {
        "setup_secret": "cbsetup_x",
        "email": "a@example.com",
        "password": "long-enough-password",
    },
}


@dataclass(frozen=True)
class Param:
    method: str
    route: str  # under /api/v1
    where: str  # path, query or body
    name: str
    typed: bool = False  # an integer or boolean: refused by its type before any lookup

    @property
    def id(self) -> str:
        return f"{self.method} {self.route} {self.where}:{self.name}"


def _is_string(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(option.get("type") == "string" for option in options)


def parameters() -> list[Param]:
    """Every path and query parameter, and every string field of a JSON body."""
    from crewboard.server.app import create_app

    document = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db")).openapi()
    schemas = document["components"]["schemas"]
    found: list[Param] = []
    for path, operations in document["paths"].items():
        if not path.startswith(API):
            continue
        route = path.removeprefix(API)
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if param["in"] in ("path", "query"):
                    typed = not _is_string(param["schema"]) and "anyOf" not in param["schema"]
                    found.append(Param(method.upper(), route, param["in"], param["name"], typed))
            key = f"{method.upper()} {route}"
            if key not in BODIES:
                continue
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            ref = schema.get("$ref") or schema["anyOf"][0]["$ref"]
            for name, prop in schemas[ref.rsplit("/", 1)[1]]["properties"].items():
                if _is_string(prop):
                    found.append(Param(method.upper(), route, "body", name))
    return found


PARAMS = parameters()
ROW_OF: dict[tuple[str, str], Row] = {}
for _row in ROWS:
    ROW_OF.setdefault((_row.method, _row.route), _row)


def test_every_operation_is_probed() -> None:
    """Every operation with a parameter or a body is in the list (and can be prepared)."""
    probed = {(p.method, API + p.route) for p in PARAMS}
    with_input = {(m, path) for m, path in app_routes() if path.startswith(API) and "{" in path}
    assert with_input <= probed
    for param in PARAMS:
        key = f"{param.method} {param.route}"
        assert (param.method, param.route) in ROW_OF or key in PUBLIC_BODIES, param.id


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[World]:
    settings = quiet_settings(base_settings).model_copy(
        update={
            "jobs_enabled": False,  # no webhook deliveries to unreachable URLs meanwhile
            "login_max_failures_per_email": 1_000_000,
            "login_max_failures_per_client": 1_000_000,
        }
    )
    async with build_world(migrated_database, settings) as world:
        owner = Actor(user_id=world.users["owner"], label="owner@example.com")
        outsider = Actor(user_id=world.users["outsider"], label="outsider@example.com")
        async with unit_of_work(migrated_database, write=True) as session:
            await TeamService(session, settings).create(owner, "alpha", name="web", lead="backend")
            await Tasks(session, settings).create(owner, "alpha", title="Task one")
            await Tasks(session, settings).create(outsider, "beta", title=BETA_MARK)
            await MessageService(session).send(outsider, "beta", Outgoing(to="qa", body=BETA_MARK))
        tables = await schema(migrated_database)
        yield world
        # Checked once, after every probe: no table or column was dropped or added.
        assert await schema(migrated_database) == tables


async def schema(database: Database) -> dict[str, list[str]]:
    """Every table and its columns, as the database has them."""

    def read(conn: Any) -> dict[str, list[str]]:
        inspector = inspect(conn)
        return {
            t: sorted(c["name"] for c in inspector.get_columns(t))
            for t in inspector.get_table_names()
        }

    async with database.engine.connect() as conn:
        return await conn.run_sync(read)


async def users(world: World) -> set[tuple[int, str | None]]:
    """Every user with its password hash."""
    async with unit_of_work(world.database, write=False) as session:
        return {
            (row.id, row.password_hash)
            for row in await session.execute(select(User.id, User.password_hash))
        }


def segment(value: str) -> str:
    """A value as one path segment (slashes and dots included)."""
    return quote(value, safe="")


async def send_probe(world: World, param: Param, probe: str, base: httpx.Request) -> httpx.Response:
    """The base request with one parameter replaced by the probe."""
    split = urlsplit(str(base.url))
    path, query = split.path, split.query
    params = parse_qsl(query, keep_blank_values=True)
    body: Any = json.loads(base.content) if base.content else None
    if param.where == "path":
        values = {**PATH_DEFAULTS, "user_id": str(world.users["owner"]), param.name: segment(probe)}
        path = API + fill(param.route, **values)
    elif param.where == "query":
        params = [(k, v) for k, v in params if k != param.name] + [(param.name, probe)]
    else:
        body = {**(body or {}), param.name: probe}
    if param.route in STREAMS:
        params = [(k, v) for k, v in params if k != "once"] + [("once", "true")]
    headers = {k: v for k, v in base.headers.items() if k.lower() in ("authorization", "if-match")}
    return await world.client.request(
        param.method, httpx.URL(path, params=params), json=body, headers=headers
    )


async def base_request(world: World, param: Param) -> httpx.Request:
    """A request that would succeed for the owner (the matrix row's, freshly prepared)."""
    key = f"{param.method} {param.route}"
    body: dict[str, Any] | None
    extra: dict[str, str] = {}
    if key in PUBLIC_BODIES:
        call_path, body = param.route, PUBLIC_BODIES[key]
    else:
        row = ROW_OF[(param.method, param.route)]
        call = await row.prepare(world, "owner", row.route)
        call_path, body, extra = call.path, call.body, call.headers
    headers = {**bearer(world.tokens["owner"]), **extra}
    return world.client.build_request(param.method, API + call_path, json=body, headers=headers)


def assert_safe(world: World, param: Param, probe: str, response: httpx.Response) -> None:
    assert response.status_code < 500, (param.id, probe[:40], response.text[:300])
    text = response.text
    assert BETA_MARK not in text, param.id
    assert "$argon2" not in text, param.id
    for actor, token in world.tokens.items():
        if token and actor != "owner":
            assert token not in text, (param.id, actor)
    if param.where != "body" or not 200 <= response.status_code < 300 or not text:
        return
    answer = response.json()
    answer = answer.get("task", answer) if isinstance(answer, dict) else answer
    if isinstance(answer, dict) and param.name in answer and isinstance(answer[param.name], str):
        assert answer[param.name] == probe, (param.id, probe[:40])


@pytest.mark.parametrize("param", PARAMS, ids=lambda p: p.id)
async def test_probes_are_harmless(world: World, param: Param) -> None:
    before = await users(world)
    base = await base_request(world, param)
    short = param.typed or "password" in param.name or param.route == "/auth/login"
    for probe in SHORT_PROBES if short else PROBES:
        response = await send_probe(world, param, probe, base)
        assert_safe(world, param, probe, response)
    assert before <= await users(world)  # a case may add a user, never drop or change one
