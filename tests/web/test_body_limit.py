"""The dashboard's forms refuse an oversized body (413) without reading all of it, and
change nothing."""

from __future__ import annotations

from crewboard.config import Settings
from crewboard.database import Database
from tests.api.middleware.test_body_limit import CHUNK, LIMIT, Counted
from tests.support.database import snapshot
from tests.support.factory import Factory
from tests.support.http import client_for
from tests.support.http import form_login as web_login
from tests.web.routes import WEB_ROUTES
from tests.web.test_pages import seed_shop


async def test_dashboard_forms_refuse_an_oversized_body(
    database: Database, settings: Settings
) -> None:
    small = settings.model_copy(update={"max_body_bytes": LIMIT, "jobs_enabled": False})
    await seed_shop(Factory(database, small))
    async with client_for(settings=small, database=database) as http:
        csrf = await web_login(http, "alice@example.com")
        before = await snapshot(database)
        for method, _, path in [*WEB_ROUTES, ("POST", "/login", "/login")]:
            if method != "POST":
                continue
            form = f"csrf_token={csrf}&title=".encode() + b"x" * LIMIT
            headers = {"content-type": "application/x-www-form-urlencoded"}
            response = await http.post(path, content=form, headers=headers)
            assert response.status_code == 413, (path, response.status_code)
            assert b"x" * 100 not in response.content
            body = Counted(f"csrf_token={csrf}&title=".encode())
            response = await http.post(path, content=body, headers=headers)
            assert response.status_code == 413, (path, response.status_code)
            assert body.sent <= LIMIT // CHUNK + 2
        assert await snapshot(database) == before
