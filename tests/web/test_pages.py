"""Every dashboard page renders for a member, through the services, on both databases."""

from __future__ import annotations

import re

import httpx
import pytest

from crewboard.services.core import Actor, unit_of_work
from crewboard.services.messages import MessageService, Outgoing
from crewboard.services.tasks import ChangelogDraft, Tasks, TrackerService
from crewboard.services.teams import TeamService
from tests.support.factory import Factory
from tests.support.http import form_login
from tests.support.world import two_projects

PAGES = [
    "/",
    "/p/shop",
    "/p/shop?agent=backend",
    "/p/shop/tasks/1",
    "/p/shop/tasks/3",
    "/p/shop/teams",
    "/p/shop/teams/web",
    "/p/shop/roster",
    "/p/shop/inbox",
    "/p/shop/inbox?agent=backend&all=true",
    "/p/shop/changelog",
    "/p/shop/activity",
    "/p/shop/graph",
    "/p/shop/graph?team=web",
    "/p/shop/charts",
    "/p/shop/conversations",
    "/p/shop/settings",
    "/account",
]


async def seed_shop(factory: Factory) -> None:
    """A team, a dependency, a blocked task, a completion with changelog, protocol messages."""
    ids = await two_projects(factory)
    alice = Actor(user_id=ids.alice, label="alice@example.com")
    async with unit_of_work(factory.database, write=True) as session:
        tasks = Tasks(session, factory.settings)
        await TeamService(session, factory.settings).create(
            alice, "shop", name="web", lead="backend", members=["qa"]
        )
        await tasks.create(alice, "shop", title="Schema", tracker="backend", team="web")
        await tasks.create(alice, "shop", title="API <b>v2</b>", tracker="backend", blocked_by=[1])
        await tasks.create(alice, "shop", title="Tests", tracker="qa", priority=0)
        await tasks.start(alice, "shop", 1, as_agent="backend")
        draft = ChangelogDraft(
            title="Schema landed", problem="none", fix="tables", verification="ok"
        )
        await tasks.complete(
            alice,
            "shop",
            1,
            outcome="schema in",
            files=["db.sql"],
            as_agent="backend",
            changelog=draft,
        )
        await tasks.start(alice, "shop", 3, as_agent="qa")
        await TrackerService(session, factory.settings).report_refused(
            alice,
            "shop",
            ".claude/trackers/qa-tracker.md",
            [(14, "- <b>Fix</b> -- waits on: #99", "a link: change it with crewboard task")],
        )
        await tasks.block(alice, "shop", 3, reason="needs API", needs_agent="backend")
        messages = MessageService(session)
        await messages.send(alice, "shop", Outgoing(to="backend", body="Ship it"))
        await messages.send(
            alice, "shop", Outgoing(to="qa", kind="plan_approval_request", body="Plan?")
        )


@pytest.fixture
async def shop(factory: Factory, client: httpx.AsyncClient) -> httpx.AsyncClient:
    await seed_shop(factory)
    await form_login(client, "alice@example.com")
    return client


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_renders(shop: httpx.AsyncClient, path: str) -> None:
    answer = await shop.get(path)
    assert answer.status_code == 200, answer.text[:2000]
    assert answer.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert "<script>" not in answer.text  # no inline script, and titles are escaped


async def test_kanban_columns_and_cards(shop: httpx.AsyncClient) -> None:
    page = (await shop.get("/p/shop")).text
    for label in ("Pending", "In Progress", "Blocked", "Completed"):
        assert f">{label} <" in page
    assert "API &lt;b&gt;v2&lt;/b&gt;" in page  # escaped, never markup
    assert "needs API" in page
    assert re.search(r'needs <span class="who-chip ag\d">backend</span>', page)
    assert 'class="badge p0"' in page


async def test_task_detail_shows_links_record_and_history(shop: httpx.AsyncClient) -> None:
    done = (await shop.get("/p/shop/tasks/1")).text
    assert "schema in" in done
    assert "db.sql" in done
    assert "Schema landed" in done
    assert 'href="/p/shop/tasks/2"' in done  # blocks #2
    assert "task.claimed" in done
    assert "task.updated" in done
    waiting = (await shop.get("/p/shop/tasks/2")).text
    assert 'href="/p/shop/tasks/1"' in waiting  # blocked by #1


async def test_charts_and_graph_draw_svg(shop: httpx.AsyncClient) -> None:
    charts = (await shop.get("/p/shop/charts")).text
    assert charts.count("<svg") >= 2
    assert 'id="blocked-matrix"' in charts
    assert "needs backend" in charts
    graph = (await shop.get("/p/shop/graph")).text
    assert "marker-end" in graph
    assert "#2 P2" in graph


async def test_protocol_messages_show_their_kind(shop: httpx.AsyncClient) -> None:
    inbox = (await shop.get("/p/shop/inbox?agent=qa&all=true")).text
    assert "plan approval request" in inbox
    thread = (await shop.get("/p/shop/messages/2")).text
    assert "Answer the request" not in thread  # alice sent it: only qa answers


async def test_anonymous_pages_redirect_to_login(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await seed_shop(factory)
    for path in PAGES:
        answer = await client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login")
    login_page = await client.get("/login")
    assert login_page.status_code == 200
    assert 'for="email"' in login_page.text


async def test_static_assets_are_served(client: httpx.AsyncClient) -> None:
    for path in ("/static/app.css", "/static/live.js"):
        assert (await client.get(path)).status_code == 200


async def test_activity_shows_what_sync_could_not_apply(shop: httpx.AsyncClient) -> None:
    page = (await shop.get("/p/shop/activity")).text
    assert "sync.refused" in page
    assert "file:.claude/trackers/qa-tracker.md" in page
    assert "line 14: a link: change it with crewboard task" in page
    assert "&lt;b&gt;Fix&lt;/b&gt;" in page  # the agent's line, escaped


async def test_a_blocked_task_offers_no_claim(shop: httpx.AsyncClient) -> None:
    # #3 is blocked (held by qa): taking it is not a claim the rule allows.
    page = (await shop.get("/p/shop/tasks/3")).text
    assert "blocked" in page
    assert "claim &amp; start" not in page
    assert "Unblocked: back to work" in page  # the owner's way back, offered to the lead
    assert "In progress (claim &amp; start)" in (await shop.get("/p/shop/tasks/2")).text


async def test_history_is_in_words_never_python_values(shop: httpx.AsyncClient) -> None:
    # #1 was completed: its outcome went from nothing to "schema in", its files from none
    # to db.sql; #3 was blocked. No None, [] or ['…'] reaches a person.
    for path in ("/p/shop/tasks/1", "/p/shop/tasks/3", "/p/shop/activity"):
        page = (await shop.get(path)).text
        changes = re.findall(r'<span class="change">(.*?)</span>', page)
        assert changes, path
        for change in changes:
            assert not re.search(r"\bNone\b|\[\]|\[&#39;|\bTrue\b|\bFalse\b", change), change
    done = (await shop.get("/p/shop/tasks/1")).text
    assert "outcome none → schema in" in done
    assert "files none → db.sql" in done


async def test_assigning_asks_whom_and_picks_nobody_by_default(shop: httpx.AsyncClient) -> None:
    page = (await shop.get("/p/shop/tasks/2")).text
    select = re.search(r'<select id="assign-owner"[^>]*>\s*<option[^>]*>([^<]*)</option>', page)
    assert select is not None
    assert " required" in select.group(0)
    assert select.group(1) == "choose an agent…"
