"""SQL injection and path traversal probes in every parameter of the dashboard, and path
traversal on its static files.

The parameters come from the app's own routes (path, query and form fields of every page
and form, sub-dependencies included). alice, owner of ``shop``, sends each probe into each;
no answer is a 5xx, none shows ``bank``'s data or a password hash, and afterwards every
table has its rows (nothing dropped) and alice is still logged in.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.server.app import create_app
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.tasks import Tasks
from crewboard.web.routing import WebRoute
from tests.api.test_security_probes import PROBES
from tests.support.database import empty_database, row_counts
from tests.support.factory import Factory
from tests.support.http import client_for, form_login
from tests.web.routes import FIELDS, WEB_ROUTES, served_routes
from tests.web.test_pages import seed_shop

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

BANK_MARK = "bank-vault-plan"
CONCRETE = {path_template: path for _, path_template, path in WEB_ROUTES} | {"/login": "/login"}
SKIP = {("POST", "/logout"), ("POST", "/login")}  # ending the session; login: its own tests


def _flat(dependant: Any, kind: str) -> list[str]:
    names = [f.alias for f in getattr(dependant, kind)]
    for sub in dependant.dependencies:
        names += _flat(sub, kind)
    return names


def web_parameters() -> list[tuple[str, str, str, str]]:
    """(method, route, where, name) of every dashboard parameter."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db"))
    found: list[tuple[str, str, str, str]] = []
    for route in served_routes(app):
        if not isinstance(route, WebRoute):
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            if (method, route.path) in SKIP:
                continue
            for where, kind in (
                ("path", "path_params"),
                ("query", "query_params"),
                ("form", "body_params"),
            ):
                found += [(method, route.path, where, n) for n in _flat(route.dependant, kind)]
    return sorted(set(found))


PARAMS = web_parameters()


def test_the_list_has_every_kind_of_parameter() -> None:
    assert {where for _, _, where, _ in PARAMS} == {"path", "query", "form"}
    assert ("POST", "/p/{slug}/tasks", "form", "title") in PARAMS


def probed_path(route: str, name: str, probe: str) -> str:
    """The route's concrete path (from WEB_ROUTES) with one path parameter replaced."""
    concrete = CONCRETE[route].split("?")[0]
    parts, template = concrete.split("/"), route.split("/")
    return "/".join(
        quote(probe, safe="") if t == "{" + name + "}" else p
        for p, t in zip(parts, template, strict=True)
    )


@dataclass
class Shop:
    client: httpx.AsyncClient
    database: Database
    csrf: str


@pytest.fixture(scope="module")
async def shop(migrated_database: Database, base_settings: Settings) -> AsyncIterator[Shop]:
    """shop and bank seeded once, alice logged in once (an Argon2 check), for every probe."""
    await empty_database(migrated_database)
    settings = base_settings.model_copy(update={"jobs_enabled": False})
    factory = Factory(migrated_database, settings)
    await seed_shop(factory)
    async with unit_of_work(migrated_database, write=True) as session:
        bob = Actor(user_id=2, label="bob@example.com")
        await Tasks(session, settings).create(bob, "bank", title=BANK_MARK)
    async with client_for(settings=settings, database=migrated_database) as client:
        yield Shop(client, migrated_database, await form_login(client, "alice@example.com"))


@pytest.mark.parametrize(("method", "route", "where", "name"), PARAMS, ids=lambda v: str(v))
async def test_web_probes_are_harmless(
    shop: Shop, method: str, route: str, where: str, name: str
) -> None:
    client = shop.client
    before = await row_counts(shop.database)
    base = CONCRETE[route]
    for probe in PROBES:
        path, params, data = base.split("?")[0], {}, None
        if "?" in base:
            params = dict(part.split("=", 1) for part in base.split("?", 1)[1].split("&"))
        if where == "path":
            path = probed_path(route, name, probe)
        elif where == "query":
            params[name] = probe
        if method == "POST":
            data = {**FIELDS.get(base, {}), "csrf_token": shop.csrf}
            if where == "form":
                data[name] = probe
        response = await client.request(method, path, params=params, data=data)
        assert response.status_code < 500, (route, name, probe[:30], response.text[:300])
        assert BANK_MARK not in response.text
        assert "$argon2" not in response.text
    after = await row_counts(shop.database)
    assert all(after[table] >= count for table, count in before.items()), (before, after)
    assert (await client.get("/")).status_code == 200  # still logged in


TRAVERSALS = [
    "/static/../../../../etc/passwd",
    "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/static/..%5c..%5capp.py",
    "/static/%2e%2e/__init__.py",
    "/static/../render.py",
    "/static/....//....//etc/passwd",
    "/static/%00app.css",
    "/static/app.css%00.py",
    "/static//etc/passwd",
    "/static/%252e%252e/%252e%252e/etc/passwd",
    "/static/..\\..\\__init__.py",
]


@pytest.mark.parametrize("path", TRAVERSALS)
async def test_static_files_do_not_leave_their_folder(shop: Shop, path: str) -> None:
    client = shop.client
    response = await client.get(httpx.URL(path))
    assert response.status_code in (400, 404), (path, response.status_code)
    for leak in ("root:", "from __future__", "import ", "crewboard.web"):
        assert leak not in response.text, path
    assert (await client.get("/static/app.css")).status_code == 200
