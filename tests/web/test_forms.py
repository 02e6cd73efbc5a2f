"""Dashboard actions: each form goes through the services; a post without the session's
CSRF token is refused (403) and changes nothing."""

from __future__ import annotations

import httpx

from crewboard.database import Database
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.tasks import Tasks
from tests.support.database import snapshot
from tests.support.factory import Factory
from tests.support.http import PASSWORD, csrf_of, form_login
from tests.support.world import two_projects


async def _task(database: Database, factory: Factory, number: int) -> dict[str, object]:
    async with unit_of_work(database, write=False) as session:
        task = (await Tasks(session, factory.settings).get(Actor.system(), "shop", number)).task
        return {
            "status": task.status,
            "owner": task.owner,
            "reason": task.blocked_reason,
            "needs": task.needs_agent,
            "outcome": task.outcome,
            "files": task.files,
            "verified": task.verified,
            "version": task.version,
            "title": task.title,
        }


async def test_create_claim_block_complete(
    client: httpx.AsyncClient, factory: Factory, database: Database
) -> None:
    await two_projects(factory)
    csrf = await form_login(client, "alice@example.com")
    made = await client.post(
        "/p/shop/tasks",
        data={"csrf_token": csrf, "title": "Checkout", "tracker": "backend", "priority": "1"},
    )
    assert made.status_code == 303
    assert made.headers["location"] == "/p/shop/tasks/1"
    claimed = await client.post(
        "/p/shop/tasks/1/claim", data={"csrf_token": csrf, "as_agent": "backend", "version": "1"}
    )
    assert claimed.status_code == 303
    assert (await _task(database, factory, 1))["owner"] == "backend"
    blocked = await client.post(
        "/p/shop/tasks/1/block",
        data={"csrf_token": csrf, "reason": "waiting for tests", "needs_agent": "qa"},
    )
    assert blocked.status_code == 303
    state = await _task(database, factory, 1)
    assert (state["status"], state["reason"], state["needs"]) == (
        "blocked",
        "waiting for tests",
        "qa",
    )
    assert (
        await client.post("/p/shop/tasks/1/unblock", data={"csrf_token": csrf})
    ).status_code == 303
    done = await client.post(
        "/p/shop/tasks/1/complete",
        data={
            "csrf_token": csrf,
            "outcome": "shipped",
            "files": "a.py\nb.py",
            "verified": "pytest",
        },
    )
    assert done.status_code == 303
    state = await _task(database, factory, 1)
    assert (state["status"], state["outcome"], state["files"], state["verified"]) == (
        "completed",
        "shipped",
        ["a.py", "b.py"],
        "pytest",
    )
    page = (await client.get("/p/shop/tasks/1")).text
    assert "shipped" in page
    assert "a.py" in page


async def test_assign_release_and_stale_version(
    client: httpx.AsyncClient, factory: Factory, database: Database
) -> None:
    await two_projects(factory)
    csrf = await form_login(client, "alice@example.com")
    await client.post("/p/shop/tasks", data={"csrf_token": csrf, "title": "Docs"})
    assigned = await client.post(
        "/p/shop/tasks/1/assign", data={"csrf_token": csrf, "owner": "qa", "version": "1"}
    )
    assert assigned.status_code == 303
    assert (await _task(database, factory, 1))["owner"] == "qa"
    stale = await client.post(
        "/p/shop/tasks/1/assign", data={"csrf_token": csrf, "owner": "backend", "version": "1"}
    )
    assert stale.status_code == 409
    assert "text/html" in stale.headers["content-type"]
    assert (await _task(database, factory, 1))["owner"] == "qa"
    await client.post("/p/shop/tasks/1/claim", data={"csrf_token": csrf, "as_agent": "qa"})
    assert (
        await client.post("/p/shop/tasks/1/release", data={"csrf_token": csrf})
    ).status_code == 303
    state = await _task(database, factory, 1)
    assert (state["status"], state["owner"]) == ("pending", None)


async def test_bad_input_is_an_html_error(client: httpx.AsyncClient, factory: Factory) -> None:
    await two_projects(factory)
    csrf = await form_login(client, "alice@example.com")
    missing = await client.post("/p/shop/tasks", data={"csrf_token": csrf})
    assert missing.status_code == 422
    assert "title" in missing.text
    unknown = await client.post(
        "/p/shop/tasks", data={"csrf_token": csrf, "title": "x", "tracker": "nobody"}
    )
    assert unknown.status_code in (404, 422)
    assert "<html" in unknown.text


async def test_send_message_and_read_inbox(client: httpx.AsyncClient, factory: Factory) -> None:
    await two_projects(factory)
    csrf = await form_login(client, "alice@example.com")
    sent = await client.post(
        "/p/shop/messages", data={"csrf_token": csrf, "to": "backend", "body": "Hello crew"}
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/p/shop/messages/1"
    thread = (await client.get("/p/shop/messages/1")).text
    assert "Hello crew" in thread
    assert "alice@example.com" in thread
    inbox = (await client.get("/p/shop/inbox?agent=backend")).text
    assert "Hello crew" in inbox


FORMS = [
    ("/p/shop/tasks", {"title": "Forged"}),
    ("/p/shop/tasks/1/claim", {"as_agent": "backend"}),
    ("/p/shop/tasks/1/assign", {"owner": "qa"}),
    ("/p/shop/tasks/1/block", {"reason": "forged"}),
    ("/p/shop/tasks/1/unblock", {}),
    ("/p/shop/tasks/1/complete", {"outcome": "forged"}),
    ("/p/shop/tasks/1/release", {}),
    ("/p/shop/messages", {"to": "backend", "body": "forged"}),
    ("/p/shop/inbox/read", {"up_to": "1"}),
    ("/logout", {}),
]


async def test_csrf_rejects_forged_posts(
    client: httpx.AsyncClient, factory: Factory, database: Database
) -> None:
    await two_projects(factory)
    csrf = await form_login(client, "alice@example.com")
    await client.post("/p/shop/tasks", data={"csrf_token": csrf, "title": "Real"})
    before = await snapshot(database)
    for path, fields in FORMS:
        for token in (None, "", "0" * 64, csrf[:-1] + ("0" if csrf[-1] != "0" else "1")):
            data = dict(fields) if token is None else {**fields, "csrf_token": token}
            answer = await client.post(path, data=data)
            assert answer.status_code == 403, (path, token, answer.text[:200])
            assert "CSRF" in answer.text
    assert await snapshot(database) == before
    # The API's header works for the API, but is no substitute for the form field.
    headed = await client.post("/p/shop/tasks", data={"title": "x"}, headers={"X-CSRF-Token": csrf})
    assert headed.status_code == 403
    assert await snapshot(database) == before


async def test_login_form_checks_its_own_csrf_and_password(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await two_projects(factory)
    forged = await client.post(
        "/login", data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": "x"}
    )
    assert forged.status_code == 403
    assert "crewboard_session" not in forged.headers.get("set-cookie", "")
    form = await client.get("/login")
    wrong = await client.post(
        "/login",
        data={"email": "alice@example.com", "password": "nope", "csrf_token": csrf_of(form.text)},
    )
    assert wrong.status_code == 401
    assert "wrong e-mail or password" in wrong.text
    assert 'value="alice@example.com"' in wrong.text  # only the password is to type again
    away = await client.post(
        "/login",
        data={
            "email": "alice@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_of(wrong.text),
            "next": "//evil.example",
        },
    )
    assert away.status_code == 303
    assert away.headers["location"] == "/"
    cookie = away.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


async def test_logout_ends_the_session(client: httpx.AsyncClient, factory: Factory) -> None:
    await two_projects(factory)
    csrf = await form_login(client, "alice@example.com")
    assert (await client.post("/logout", data={"csrf_token": csrf})).status_code == 303
    client.cookies.clear()
    assert (await client.get("/p/shop")).status_code == 303


async def test_api_tokens_do_not_open_pages(client: httpx.AsyncClient, factory: Factory) -> None:
    ids = await two_projects(factory)
    token = await factory.token(ids.alice)
    assert (
        await client.get("/p/shop", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 303
    client.cookies.set("crewboard_session", token)
    assert (await client.get("/p/shop")).status_code == 303
