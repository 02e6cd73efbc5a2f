"""Helpers of the API-wide tests: a world built once per module, problem checks, DB snapshots."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from crewboard.config import Settings
from crewboard.server.app import create_app
from tests.support.http import bearer

API = "/api/v1"
PROBLEM_JSON = "application/problem+json"
PROBLEM_PREFIX = "urn:crewboard:problem:"


def quiet_settings(settings: Settings) -> Settings:
    """Settings under which a credential used once records no further use during a run
    (so a table snapshot taken around a request sees only what that request did)."""
    return settings.model_copy(update={"touch_interval_seconds": 86_400})


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
    client: httpx.AsyncClient, token: str | None, case: Bad, path: str | None = None
) -> httpx.Response:
    """Send a bad request (``path`` overrides the case's, e.g. once filled in)."""
    headers = {**bearer(token), **(case.headers or {})}
    content: bytes | None = case.raw
    if case.body is not NO_BODY:
        content = json.dumps(case.body).encode()
    if content is not None:
        headers["content-type"] = "application/json"
    return await client.request(
        case.method,
        API + (path or case.path),
        content=content,
        params=case.params,
        headers=headers,
    )


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
