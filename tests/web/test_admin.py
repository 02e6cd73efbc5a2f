"""Running a crew from the web: projects, members, roster, agent tokens and one's sessions.
Each form is one call of the service the REST API calls; a refused form changes nothing."""

from __future__ import annotations

import json
import re

import httpx

from crewboard.config import Settings
from crewboard.database import Database
from tests.support.database import snapshot
from tests.support.factory import Factory
from tests.support.http import PASSWORD, bearer, client_for, form_login
from tests.support.world import two_projects

SECRET = re.compile(r"cb_[A-Za-z0-9_\-]{20,}")


async def test_a_fresh_person_is_led_to_create_a_first_project(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await factory.user("new@example.com", password=PASSWORD)
    csrf = await form_login(client, "new@example.com")
    home = (await client.get("/")).text
    assert "Create your first project" in home
    assert "not a member" not in home
    made = await client.post("/projects", data={"csrf_token": csrf, "slug": "shop", "name": ""})
    assert (made.status_code, made.headers["location"]) == (303, "/p/shop/settings")
    settings = (await client.get("/p/shop/settings")).text
    assert "new@example.com" in settings
    assert "owner" in settings
    assert 'id="add-agent"' in settings
    assert 'id="add-member"' in settings
    home = (await client.get("/")).text
    assert "/p/shop" in home
    assert "New project" in home


async def test_bad_project_input_is_a_clear_page_and_changes_nothing(
    client: httpx.AsyncClient, factory: Factory, database: Database
) -> None:
    await two_projects(factory)
    csrf = await form_login(client, "alice@example.com")
    before = await snapshot(database)
    for slug, status, words in (
        ("Not A Slug", 422, "slug"),
        ("", 422, "slug"),
        ("shop", 409, "shop"),
    ):
        answer = await client.post("/projects", data={"csrf_token": csrf, "slug": slug})
        assert answer.status_code == status, (slug, answer.text[:300])
        assert words in answer.text
        assert "<html" in answer.text  # the dashboard's error page, not problem+json
    forged = await client.post("/projects", data={"slug": "forged"})
    assert forged.status_code == 403
    assert await snapshot(database) == before


async def test_owner_manages_members_and_roster(
    client: httpx.AsyncClient, factory: Factory, database: Database, settings: Settings
) -> None:
    await two_projects(factory)
    csrf = await form_login(client, "alice@example.com")
    added = await client.post(
        "/p/shop/settings/members",
        data={"csrf_token": csrf, "email": "Bob@Example.com", "role": "member", "agent": ""},
    )
    assert added.status_code == 303
    assert (
        "Withdraw the invitation of bob@example.com" in (await client.get("/p/shop/settings")).text
    )
    # Bob joins by accepting on his account page; until then he is not a member.
    async with client_for(settings=settings, database=database) as bobs:
        bob_csrf = await form_login(bobs, "bob@example.com")
        account = (await bobs.get("/account")).text
        offer = re.search(r"/account/invitations/(\d+)/accept", account)
        assert offer is not None, account
        joined = await bobs.post(offer.group(0), data={"csrf_token": bob_csrf})
        assert (joined.status_code, joined.headers["location"]) == (303, "/p/shop")
    page = (await client.get("/p/shop/settings")).text
    assert "Remove bob@example.com" in page
    assert "Withdraw the invitation" not in page
    agent = await client.post(
        "/p/shop/settings/agents",
        data={"csrf_token": csrf, "name": "frontend", "domain": "pages and components"},
    )
    assert agent.status_code == 303
    assert "pages and components" in (await client.get("/p/shop/settings")).text
    before = await snapshot(database)
    for path, data, status, words in (
        ("/p/shop/settings/members", {"email": "bob@example.com", "role": "king"}, 422, "role"),
        ("/p/shop/settings/members", {"email": "bob@example.com", "role": "agent"}, 422, "agent"),
        ("/p/shop/settings/agents", {"name": "Bad Name!"}, 422, "name"),
        ("/p/shop/settings/agents", {"name": "frontend"}, 409, "frontend"),
        ("/p/shop/settings/agents/ghost/remove", {}, 404, "ghost"),
        ("/p/shop/settings/members/999/remove", {}, 404, "member"),
    ):
        answer = await client.post(path, data={"csrf_token": csrf, **data})
        assert answer.status_code == status, (path, data, answer.status_code)
        assert words in answer.text
    assert await snapshot(database) == before
    bob = re.search(r"/members/(\d+)/remove\"[^<]*<input[^>]*>\s*<button[^>]*Remove bob", page)
    assert bob is not None
    gone = await client.post(
        f"/p/shop/settings/members/{bob.group(1)}/remove", data={"csrf_token": csrf}
    )
    assert gone.status_code == 303
    removed = await client.post(
        "/p/shop/settings/agents/frontend/remove", data={"csrf_token": csrf}
    )
    assert removed.status_code == 303
    page = (await client.get("/p/shop/settings")).text
    assert "bob@example.com" not in page
    assert "pages and components" not in page


async def test_a_viewer_sees_the_settings_but_no_forms(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await two_projects(factory)
    await form_login(client, "vera@example.com")
    page = (await client.get("/p/shop/settings")).text
    assert "alice@example.com" in page
    assert "backend" in page
    for form in ('id="add-member"', 'id="add-agent"', 'id="issue-token"', "/remove"):
        assert form not in page


async def test_a_token_is_shown_once_and_works_until_revoked(
    client: httpx.AsyncClient, factory: Factory, database: Database
) -> None:
    await two_projects(factory)
    csrf = await form_login(client, "alice@example.com")
    issued = await client.post(
        "/p/shop/settings/tokens",
        data={"csrf_token": csrf, "agent": "backend", "days": "7", "name": "laptop"},
    )
    assert issued.status_code == 201
    assert issued.headers["cache-control"] == "no-store"
    secrets = set(SECRET.findall(issued.text))
    assert len(secrets) == 1
    (token,) = secrets
    snippet = re.search(r'<textarea id="issued-mcp"[^>]*>(.*?)</textarea>', issued.text, re.S)
    assert snippet is not None
    config = json.loads(snippet.group(1).replace("&#34;", '"').replace("&quot;", '"'))
    entry = config["mcpServers"]["crewboard"]
    assert entry["url"].endswith("/mcp")
    assert entry["headers"]["Authorization"] == f"Bearer {token}"
    me = await client.get("/api/v1/auth/me", headers=bearer(token))
    assert (me.status_code, me.json()["agent_name"]) == (200, "backend")
    # Never shown again: the settings page and the account page list it by its first letters.
    later = (await client.get("/p/shop/settings")).text + (await client.get("/account")).text
    assert token not in later
    assert "laptop" in later
    token_id = re.search(r"/p/shop/settings/tokens/(\d+)/revoke", later)
    assert token_id is not None
    revoked = await client.post(
        f"/p/shop/settings/tokens/{token_id.group(1)}/revoke", data={"csrf_token": csrf}
    )
    assert revoked.status_code == 303
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401
    before = await snapshot(database)
    for data, status in (
        ({"agent": "ghost"}, 404),
        ({"agent": ""}, 422),
        ({"agent": "backend", "days": "0"}, 422),
        ({"agent": "backend", "days": "99999"}, 422),
        ({"agent": "teller"}, 404),  # another project's agent
    ):
        answer = await client.post("/p/shop/settings/tokens", data={"csrf_token": csrf, **data})
        assert answer.status_code == status, (data, answer.status_code)
        assert not SECRET.search(answer.text)
    assert await snapshot(database) == before


async def test_account_lists_and_ends_web_sessions(
    client: httpx.AsyncClient, factory: Factory, database: Database, settings: Settings
) -> None:
    await two_projects(factory)
    csrf = await form_login(client, "alice@example.com")
    async with client_for(settings=settings, database=database) as other_browser:
        await form_login(other_browser, "alice@example.com")
        page = (await client.get("/account")).text
        ids = re.findall(r"/account/credentials/(\d+)/revoke", page)
        this_one = re.search(r"\(this one\).*?/account/credentials/(\d+)/revoke", page, re.S)
        assert this_one is not None
        (other_id,) = [i for i in ids if i != this_one.group(1)]
        ended = await client.post(
            f"/account/credentials/{other_id}/revoke", data={"csrf_token": csrf}
        )
        assert (ended.status_code, ended.headers["location"]) == (303, "/account")
        assert (await other_browser.get("/")).status_code == 303  # logged out there
    assert (await client.get("/")).status_code == 200
    mine = await client.post(
        f"/account/credentials/{this_one.group(1)}/revoke", data={"csrf_token": csrf}
    )
    assert mine.headers["location"] == "/login"
    assert (await client.get("/")).status_code == 303


async def test_a_crew_credential_is_listed_and_revoked_like_a_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await two_projects(factory)
    await form_login(client, "alice@example.com")
    api = await client.post(
        "/api/v1/auth/login", json={"email": "alice@example.com", "password": PASSWORD}
    )
    csrf = api.json()["csrf_token"]
    made = await client.post(
        "/api/v1/tokens",
        json={"project": "shop", "crew": True, "name": "the crew"},
        headers={"X-CSRF-Token": csrf},
    )
    assert made.status_code == 201, made.text
    page = (await client.get("/p/shop/settings")).text
    assert "the crew (credential)" in page
    assert "None" not in page
    assert "a crew (credential)" in (await client.get("/account")).text
