"""The board a lead looks at: whole cards as links, what a card waits on, agent colours and
chips, one status menu on the task page, and the project's conversations in words."""

from __future__ import annotations

import re

import httpx
import pytest

from crewboard.database import Database
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.messages import MessageService, Outgoing
from crewboard.services.projects import Role
from crewboard.services.tasks import Tasks
from tests.support.database import snapshot
from tests.support.factory import Factory
from tests.support.http import PASSWORD, form_login
from tests.web.test_pages import seed_shop

ALICE = Actor(user_id=1, label="alice@example.com")


@pytest.fixture
async def shop(factory: Factory, client: httpx.AsyncClient) -> httpx.AsyncClient:
    await seed_shop(factory)
    async with unit_of_work(factory.database, write=True) as session:
        tasks = Tasks(session, factory.settings)
        # #4 waits on #3 (blocked, so open) and on #1 (completed, so not shown).
        await tasks.create(ALICE, "shop", title="Docs", tracker="qa", blocked_by=[1, 3])
        messages = MessageService(session)
        await messages.send(
            ALICE, "shop", Outgoing(to="backend", kind="shutdown_request", body="Done for today?")
        )
        await messages.send(
            ALICE,
            "shop",
            Outgoing(to="qa", body='{"type": "idle_notification", "from": "backend"}'),
        )
    await form_login(client, "alice@example.com")
    return client


def _card(page: str, number: int) -> str:
    found = re.search(rf'<li class="card task[^"]*" id="task-{number}".*?</li>', page, re.S)
    assert found is not None, number
    return found.group(0)


async def test_cards_are_one_link_each_and_say_what_they_wait_on(shop: httpx.AsyncClient) -> None:
    page = (await shop.get("/p/shop")).text
    for number in (1, 2, 3, 4):
        card = _card(page, number)
        assert card.count("<a ") == 1  # the stretched title link: one tab stop per card
        assert f'class="stretch" href="/p/shop/tasks/{number}"' in card
    assert "Waits on" in _card(page, 4)
    assert "#3 Tests" in _card(page, 4)
    assert "#1 Schema" not in _card(page, 4)  # completed blockers are not waited on
    assert "Waits on" not in _card(page, 1)
    # Every agent has one colour, the same on every page.
    assert re.search(r'class="card task ag\d" id="task-3"', page)
    colour = re.search(r'class="chip (ag\d)" href="/p/shop\?agent=qa"', page)
    assert colour is not None
    assert f'who-chip {colour.group(1)}">qa<' in page


async def test_chips_filter_the_board(shop: httpx.AsyncClient) -> None:
    page = (await shop.get("/p/shop?agent=qa")).text
    assert 'href="/p/shop?agent=qa" aria-current="page"' in page
    assert 'id="task-3"' in page
    assert 'id="task-1"' not in page  # backend's
    assert 'href="/p/shop/teams/web">team web<' in page
    assert '<select id="agent-filter"' not in page


@pytest.mark.parametrize(
    ("number", "offered", "absent"),
    [
        (2, ["In progress (claim", "Blocked", "Completed"], ["Pending (release"]),
        (3, ["Unblocked: back to work", "Completed"], ["claim &amp; start", ">Blocked<"]),
    ],
)
async def test_the_status_menu_offers_the_moves_the_rules_allow(
    shop: httpx.AsyncClient, number: int, offered: list[str], absent: list[str]
) -> None:
    page = (await shop.get(f"/p/shop/tasks/{number}")).text
    menu = page[
        page.index('id="status-form"') : page.index("</form>", page.index('id="status-form"'))
    ]
    for label in offered:
        assert label in menu, label
    for label in absent:
        assert label not in menu, label


async def test_a_completed_task_has_no_actions_card(shop: httpx.AsyncClient) -> None:
    page = (await shop.get("/p/shop/tasks/1")).text
    assert 'id="actions"' not in page
    assert "Change status" not in page


async def test_moves_go_through_the_services_and_bad_ones_change_nothing(
    shop: httpx.AsyncClient, database: Database
) -> None:
    page = (await shop.get("/p/shop/tasks/2")).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    form = {"csrf_token": csrf.group(1), "as_agent": "backend"}
    before = await snapshot(database)
    for data, status in (
        ({"to": "sideways"}, 422),
        ({"to": "blocked", "reason": ""}, 422),
        ({"to": "completed", "outcome": " "}, 422),
        ({"to": "in_progress", "current": "pending", "version": "7"}, 409),  # stale version
    ):
        answer = await shop.post("/p/shop/tasks/2/status", data={**form, **data})
        assert answer.status_code == status, (data, answer.status_code)
        assert "<html" in answer.text
    assert await snapshot(database) == before
    started = await shop.post("/p/shop/tasks/4/status", data={**form, "to": "in_progress"})
    assert started.status_code == 409  # #4 still waits on #3: the claim rule says no
    done = await shop.post(
        "/p/shop/tasks/3/status",
        data={
            **form,
            "as_agent": "qa",
            "to": "completed",
            "outcome": "tests pass",
            "files": "t.py",
        },
    )
    assert done.status_code == 303
    assert "tests pass" in (await shop.get("/p/shop/tasks/3")).text
    assert "Waits on" not in _card((await shop.get("/p/shop")).text, 4)


async def test_conversations_say_the_protocol_in_words(shop: httpx.AsyncClient) -> None:
    page = (await shop.get("/p/shop/conversations")).text
    assert "asks to shut down" in page
    assert "asks for approval of a plan" in page
    assert "type: idle_notification; from: backend" in page  # a JSON payload as its fields
    assert "Ship it" in page
    assert re.search(r">#\d+<", page) is None  # a message is 'message N', never '#N'
    assert "message 1<" in page


async def test_an_agents_member_reads_only_its_own_conversations(
    factory: Factory, client: httpx.AsyncClient
) -> None:
    await seed_shop(factory)
    await factory.user("runner@example.com", password=PASSWORD)
    await factory.member("shop", "runner@example.com", Role.AGENT, agent="qa")
    await form_login(client, "runner@example.com")
    page = (await client.get("/p/shop/conversations")).text
    assert "Plan?" in page  # to qa
    assert "Ship it" not in page  # to backend
    await form_login(client, "bob@example.com")
    assert (await client.get("/p/shop/conversations")).status_code == 404


async def test_inbox_and_thread_name_messages_plainly(shop: httpx.AsyncClient) -> None:
    inbox = (await shop.get("/p/shop/inbox?agent=backend&all=true")).text
    assert "Inbox of agent backend" in inbox
    assert "@alice@example.com</h1>" not in inbox
    mine = (await shop.get("/p/shop/inbox")).text
    assert "Your inbox" in mine
    for page in (inbox, (await shop.get("/p/shop/messages/1")).text):
        assert re.search(r">#\d+<", page) is None


async def test_favicon_legend_and_graph_boxes(shop: httpx.AsyncClient) -> None:
    icon = await shop.get("/static/favicon.svg")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg")
    assert 'rel="icon" href="/static/favicon.svg"' in (await shop.get("/p/shop")).text
    charts = (await shop.get("/p/shop/charts")).text
    assert '<ul class="legend"' in charts
    css = (await shop.get("/static/app.css")).text
    assert re.search(r"\.legend \{ list-style: none;", css)
