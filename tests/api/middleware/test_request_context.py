"""Request id, security headers, the access log line and the body limit."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.support.factory import Factory
from tests.support.http import API, PASSWORD, bearer, client_for, problem_code

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _assert_tagged(response: httpx.Response) -> str:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", request_id)
    return request_id


async def test_every_response_carries_a_request_id_and_security_headers(
    client: httpx.AsyncClient,
) -> None:
    responses = [
        await client.get("/healthz"),  # 200
        await client.get(f"{API}/auth/me"),  # 401
        await client.get("/no/such/page"),  # 404
        await client.delete("/healthz"),  # 405
        await client.post(
            f"{API}/auth/login", content=b"{", headers={"content-type": "application/json"}
        ),
    ]
    assert [r.status_code for r in responses] == [200, 401, 404, 405, 400]
    ids = [_assert_tagged(r) for r in responses]
    assert len(set(ids)) == len(ids)  # one per request
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    # Problem bodies carry the same id as the header.
    for response in responses[1:]:
        assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_a_valid_incoming_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    for incoming in ("abc-123", "trace.ID_42", "x" * 64):
        response = await client.get("/healthz", headers={"X-Request-ID": incoming})
        assert response.headers["x-request-id"] == incoming
    response = await client.get(f"{API}/auth/me", headers={"X-Request-ID": "from-the-proxy"})
    assert response.json()["request_id"] == "from-the-proxy"


@pytest.mark.parametrize(
    "incoming", ["", "has space", "x" * 65, "new\\nline", "<script>", "ü-umlaut", "a;b"]
)
async def test_an_invalid_incoming_request_id_is_replaced(
    client: httpx.AsyncClient, incoming: str
) -> None:
    response = await client.get("/healthz", headers=[(b"x-request-id", incoming.encode())])
    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_the_access_log_has_method_path_status_and_no_secrets(
    client: httpx.AsyncClient, factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    token = await factory.token(await factory.user("bob@example.com"))
    caplog.set_level(logging.INFO, logger="crewboard.access")
    await client.get(
        f"{API}/projects",
        params={"cursor": "c2VjcmV0LWN1cnNvcg", "api_key": "query-secret"},
        headers={**bearer(token), "X-Request-ID": "req-1"},
    )
    await client.post(f"{API}/auth/login", json={"email": "ann@example.com", "password": PASSWORD})
    await client.post(
        f"{API}/auth/login", json={"email": "ann@example.com", "password": "nope-nope"}
    )
    records = [r for r in caplog.records if r.name == "crewboard.access"]
    lines = [r.getMessage() for r in records]
    assert len(lines) == 3
    assert re.fullmatch(rf"GET {API}/projects 422 \d+\.\dms", lines[0]), lines[0]
    assert re.fullmatch(rf"POST {API}/auth/login 200 \d+\.\dms", lines[1]), lines[1]
    assert re.fullmatch(rf"POST {API}/auth/login 401 \d+\.\dms", lines[2]), lines[2]
    everything = "\n".join(lines) + "".join(str(r.args) for r in records)
    for secret in (
        token,
        token[3:20],
        "query-secret",
        "c2VjcmV0",
        "api_key",
        "?",
        PASSWORD,
        "nope-nope",
    ):
        assert secret not in everything, secret
    assert all(r.levelno == logging.INFO for r in records)


async def test_a_declared_oversized_body_is_413(database: Database, settings: Settings) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1024})
    async with client_for(settings=small, database=database) as http:
        response = await http.post(
            f"{API}/auth/login",
            content=b'{"email": "' + b"a" * 2000 + b'"}',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 413
    assert problem_code(response) == "body-too-large"
    assert response.json()["limit"] == 1024
    _assert_tagged(response)


async def test_a_streamed_oversized_body_is_413(database: Database, settings: Settings) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1024})

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 300

    async with client_for(settings=small, database=database) as http:
        response = await http.post(
            f"{API}/auth/login", content=chunks(), headers={"content-type": "application/json"}
        )
    assert "content-length" not in response.request.headers  # chunked: no size announced
    assert response.status_code == 413
    assert problem_code(response) == "body-too-large"


async def test_a_body_at_the_limit_is_accepted(database: Database, settings: Settings) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1024})
    body = b'{"email": "ann@example.com", "password": "x"}'
    body = body + b" " * (1024 - len(body))
    async with client_for(settings=small, database=database) as http:
        response = await http.post(
            f"{API}/auth/login", content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 401  # read and judged, not refused for its size
