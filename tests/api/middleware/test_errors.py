"""Every failure becomes RFC 9457 problem+json; crashes are logged, not returned."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import text

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.server.app import create_app
from crewboard.services.core import unit_of_work
from tests.support.factory import Factory
from tests.support.http import API, PROBLEM, bearer, client_for, problem_code

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "request_id"}


async def test_a_domain_error_is_a_problem(client: httpx.AsyncClient, factory: Factory) -> None:
    token = await factory.token(await factory.user("ann@example.com"))
    response = await client.get(f"{API}/projects/nowhere", headers=bearer(token))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert set(body) == PROBLEM_FIELDS
    assert body["type"] == "urn:crewboard:problem:not-found"
    assert (body["title"], body["status"]) == ("Not found", 404)
    assert body["detail"] == "project nowhere not found"
    assert body["instance"] == f"{API}/projects/nowhere"
    assert body["request_id"] == response.headers["x-request-id"]


async def test_framework_errors_are_problems_too(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/no/such/route")
    assert (unknown.status_code, problem_code(unknown)) == (404, "not-found")
    wrong_method = await client.put("/healthz")
    assert (wrong_method.status_code, problem_code(wrong_method)) == (405, "method-not-allowed")
    assert wrong_method.headers["allow"] == "GET"


async def test_a_schema_violation_does_not_echo_the_input(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/auth/login",
        json={"email": "ann@example.com", "password": "p" * 300, "extra": "sneaky-value"},
    )
    assert response.status_code == 422
    assert problem_code(response) == "validation"
    errors = response.json()["errors"]
    assert {tuple(e["loc"]) for e in errors} == {("body", "password"), ("body", "extra")}
    assert all(set(e) == {"loc", "msg", "type"} for e in errors)
    assert "p" * 300 not in response.text
    assert "sneaky-value" not in response.text


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{API}/auth/login", content=b'{"email": ', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert problem_code(response) == "malformed-json"


async def test_an_unexpected_exception_is_a_500_with_the_traceback_logged(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, database)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom: secret internals")

    caplog.set_level(logging.INFO)
    async with client_for(app) as http:
        response = await http.get("/boom", headers={"X-Request-ID": "crash-1"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["x-request-id"] == "crash-1"
    assert response.headers["x-content-type-options"] == "nosniff"
    body = response.json()
    assert body["type"] == "urn:crewboard:problem:internal"
    assert body["request_id"] == "crash-1"
    assert body["detail"] == "internal error; see the server log"
    assert "kaboom" not in response.text
    assert "Traceback" not in response.text

    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged.getMessage() == "unhandled error on GET /boom"
    assert logged.exc_info is not None
    assert isinstance(logged.exc_info[1], RuntimeError)
    assert "kaboom: secret internals" in caplog.text  # the traceback went to the log
    access = [r.getMessage() for r in caplog.records if r.name == "crewboard.access"]
    assert access[0].startswith("GET /boom 500 ")


async def test_a_locked_sqlite_database_is_503_busy(
    database: Database, settings: Settings, factory: Factory
) -> None:
    if not database.is_sqlite:
        pytest.skip("SQLite only")
    token = await factory.token(await factory.user("ann@example.com"))
    impatient = settings.model_copy(update={"sqlite_busy_timeout_ms": 50})
    # The app builds its own engine, with the short busy timeout.
    async with client_for(settings=impatient) as http:
        # Use the token once so that authentication has nothing left to record.
        assert (await http.get(f"{API}/auth/me", headers=bearer(token))).status_code == 200
        async with unit_of_work(database, write=True) as holder:
            await holder.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: we hold the write lock
            busy = await http.post(f"{API}/projects", json={"slug": "web"}, headers=bearer(token))
            # Reads still work meanwhile (WAL).
            read = await http.get(f"{API}/projects", headers=bearer(token))
        assert read.status_code == 200
        assert busy.status_code == 503
        assert problem_code(busy) == "busy"
        assert busy.headers["retry-after"] == "1"
        # Once the lock is released, the same write goes through.
        retried = await http.post(f"{API}/projects", json={"slug": "web"}, headers=bearer(token))
        assert retried.status_code == 201
