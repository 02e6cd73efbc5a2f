"""No page leaks another project's data: two projects, two users, and a viewer."""

from __future__ import annotations

import httpx

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.server.app import create_app
from tests.support.database import snapshot
from tests.support.factory import Factory
from tests.support.http import form_login
from tests.web.routes import FIELDS, WEB_PUBLIC, WEB_ROUTES, web_routes_of
from tests.web.test_pages import seed_shop

SHOP_WORDS = ("Schema", "Ship it", "needs API", "backend", "Tests")


def test_every_web_route_is_listed() -> None:
    app = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db"))
    listed = {(method, route) for method, route, _ in WEB_ROUTES} | WEB_PUBLIC
    assert web_routes_of(app) == listed


async def test_outsider_gets_404_and_sees_nothing(
    client: httpx.AsyncClient, factory: Factory, database: Database
) -> None:
    await seed_shop(factory)
    csrf = await form_login(client, "bob@example.com")
    home = (await client.get("/")).text
    assert "/p/bank" in home
    assert "/p/shop" not in home
    bank = (await client.get("/p/bank")).text
    assert not any(word in bank for word in SHOP_WORDS)
    before = await snapshot(database)
    for method, _, path in WEB_ROUTES:
        if not path.startswith(("/p/shop", "/go")):
            continue
        if method == "GET":
            answer = await client.get(path)
        else:
            answer = await client.post(path, data={**FIELDS.get(path, {}), "csrf_token": csrf})
        assert answer.status_code == 404, (method, path, answer.status_code)
        assert not any(word in answer.text for word in SHOP_WORDS), path
    assert await snapshot(database) == before
    # Another project's names cannot be smuggled in through a query either.
    for path in ("/p/bank?agent=backend", "/p/bank/graph?team=web", "/p/bank/inbox?agent=qa"):
        answer = await client.get(path)
        assert answer.status_code in (200, 403, 404, 422), path
        assert "Schema" not in answer.text
        assert "Ship it" not in answer.text


async def test_viewer_reads_but_cannot_change(
    client: httpx.AsyncClient, factory: Factory, database: Database
) -> None:
    await seed_shop(factory)
    csrf = await form_login(client, "vera@example.com")
    board = await client.get("/p/shop")
    assert board.status_code == 200
    assert "Schema" in board.text
    assert 'id="new-task"' not in board.text  # no form offered
    before = await snapshot(database)
    for method, _, path in WEB_ROUTES:
        if method != "POST" or not path.startswith("/p/shop") or path.endswith("/inbox/read"):
            continue
        answer = await client.post(path, data={**FIELDS.get(path, {}), "csrf_token": csrf})
        assert answer.status_code == 403, (path, answer.status_code)
    assert await snapshot(database) == before
    # A person's messages between others are not the viewer's to read.
    assert (await client.get("/p/shop/messages/1")).status_code == 404


async def test_anonymous_never_reaches_a_service(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await seed_shop(factory)
    for method, _, path in WEB_ROUTES:
        if method == "GET":
            answer = await client.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/login")
        else:
            answer = await client.post(path, data=FIELDS.get(path, {}))
            assert answer.status_code == 401, path
