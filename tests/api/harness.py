"""Helpers of the API-wide tests: a world built once per module, problem checks, DB snapshots."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import select, text

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Base
from crewboard.server.app import create_app
from crewboard.services.accounts import AuthService
from crewboard.services.core import unit_of_work
from tests.factory import SYSTEM

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
PROBLEM_PREFIX = "urn:crewboard:problem:"


async def empty_database(database: Database) -> None:
    """Delete every row (what the ``database`` fixture does, for module-scoped worlds)."""
    tables = list(reversed(Base.metadata.sorted_tables))
    async with database.engine.begin() as conn:
        if database.is_sqlite:
            for table in tables:
                await conn.execute(table.delete())
        else:
            names = ", ".join(f'"{t.name}"' for t in tables)
            # Table names come from our own metadata, not from input.
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@asynccontextmanager
async def api_client(
    settings: Settings, database: Database, *, peer: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the real ASGI app (lifespan run); ``peer`` is the client address."""
    app = create_app(settings, database)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=(peer, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def issue_token(
    database: Database,
    settings: Settings,
    user_id: int,
    *,
    project: str | None = None,
    agent: str | None = None,
    read_only: bool = False,
    expires_in: timedelta | None = None,
) -> tuple[int, str]:
    """Like ``Factory.token``, but also returns the credential's id."""
    async with unit_of_work(database, write=True) as session:
        issued = await AuthService(session, settings).create_token(
            SYSTEM,
            user_id=user_id,
            project_slug=project,
            agent_name=agent,
            read_only=read_only,
            expires_in=expires_in,
        )
        return issued.record.id, issued.token


def quiet_settings(settings: Settings) -> Settings:
    """Settings under which a credential used once records no further use during a run
    (so a table snapshot taken around a request sees only what that request did)."""
    return settings.model_copy(update={"touch_interval_seconds": 86_400})


def bearer(token: str | None) -> dict[str, str]:
    """The Authorization header for a token (none for None)."""
    return {} if token is None else {"Authorization": f"Bearer {token}"}


async def snapshot(database: Database) -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of all its rows, in primary-key order."""
    result: dict[str, tuple[int, str]] = {}
    async with unit_of_work(database, write=False) as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table).order_by(*table.primary_key.columns))).all()
            digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
            result[table.name] = (len(rows), digest)
    return result


def assert_problem(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    """An RFC 9457 problem with the given status (and ``type`` code); returns the body."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert isinstance(body["type"], str)
    assert body["type"].startswith(PROBLEM_PREFIX)
    assert isinstance(body["title"], str)
    assert body["title"]
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if code is not None:
        assert body["type"] == PROBLEM_PREFIX + code, body
    return body


def error_locs(body: dict[str, Any]) -> list[list[str | int]]:
    """The ``loc`` of every entry of a validation problem's ``errors``."""
    errors = body.get("errors")
    assert isinstance(errors, list)
    assert errors
    return [list(err["loc"]) for err in errors]


# -- bad input -------------------------------------------------------------------------

NO_BODY: Any = object()


@dataclass(frozen=True)
class Bad:
    """One bad request and the problem it must get."""

    id: str
    method: str
    path: str  # under /api/v1
    body: Any = NO_BODY  # JSON-encoded unless NO_BODY
    raw: bytes | None = None  # sent as is, as application/json
    params: dict[str, str] | tuple[tuple[str, str], ...] | None = None
    headers: dict[str, str] | None = None
    status: int = 422
    code: str = "validation"
    loc: tuple[str | int, ...] | None = None  # reported in errors[].loc
    field: str | None = None  # the ``field`` of a problem raised by a service rule
    actor: str = "admin"
    secret: str | None = None  # a value the response must not contain


def secret_of(value: Any) -> str | None:
    """The part of a bad value a response could echo: its longest run without control
    characters, if at least 3 characters long."""
    if not isinstance(value, str):
        return None
    longest = max(re.split(r"[\x00-\x1f]", value), key=len)
    return longest if len(longest) >= 3 else None


def cursor(raw: str) -> str:
    """An opaque cursor with the given content."""
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


async def send_bad(
    client: httpx.AsyncClient, token: str, case: Bad, path: str | None = None
) -> httpx.Response:
    """Send a bad request (``path`` overrides the case's, e.g. once filled in)."""
    headers = {**bearer(token), **(case.headers or {})}
    content: bytes | None = case.raw
    if case.body is not NO_BODY:
        content = json.dumps(case.body).encode()
    if content is not None:
        headers["content-type"] = "application/json"
    return await client.request(
        case.method, API + (path or case.path), content=content, params=case.params,
        headers=headers,
    )  # fmt: skip


def assert_no_echo(response: httpx.Response, *secrets: str | None) -> None:
    """The response is small and repeats none of the given values."""
    assert len(response.content) < 4096
    assert '"input"' not in response.text
    for secret in secrets:
        if secret:
            assert secret not in response.text


def assert_refused(response: httpx.Response, case: Bad) -> None:
    """The problem the case expects; a service rule's problem names its field twice, as
    ``field`` and in ``errors`` (the shape of a schema violation)."""
    body = assert_problem(response, case.status, case.code)
    if case.loc is not None:
        assert list(case.loc) in error_locs(body)
    if case.field is not None:
        assert body["field"] == case.field
        if case.status in (422, 428):
            expected = [{"loc": [case.field], "msg": body["detail"], "type": case.code}]
            assert body["errors"] == expected
    assert_no_echo(response, case.secret)


def json_bodies() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, body model schema) of every operation with a JSON body, from the
    app's OpenAPI document; paths are shown without the ``/api/v1`` prefix."""
    document = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db")).openapi()
    schemas = document["components"]["schemas"]
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is None:
                continue
            ref = schema.get("$ref") or schema["anyOf"][0]["$ref"]
            found.append((method.upper(), path.removeprefix(API), schemas[ref.rsplit("/", 1)[1]]))
    return found
