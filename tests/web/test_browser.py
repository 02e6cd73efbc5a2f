"""The dashboard in a real browser: Debian's Chromium, headless, against a live server."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from crewboard.database import Database
from crewboard.services.projects import Role
from tests.support.factory import Factory
from tests.support.http import PASSWORD
from tests.web.browser import LAPTOP, PHONE, logged_in, screenshot_path
from tests.web.test_pages import seed_shop

# Real processes (server, wrk) or Chromium: one worker runs them in turn (make pytest).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("heavy")]

API = "/api/v1/projects/shop"


async def test_log_in_and_see_the_kanban(browser: Browser, server: str, factory: Factory) -> None:
    await seed_shop(factory)
    page = await browser.new_page(viewport=LAPTOP, base_url=server)
    await page.goto("/p/shop")
    await expect(page).to_have_url(f"{server}/login?next=/p/shop")
    await page.screenshot(path=screenshot_path("login"))
    await page.get_by_label("E-mail").fill("alice@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(f"{server}/p/shop")
    for column in ("Pending", "In Progress", "Blocked", "Completed"):
        await expect(page.get_by_role("heading", name=column)).to_be_visible()
    blocked = page.locator('[data-column="blocked"] .card')
    await expect(blocked).to_contain_text("needs API")
    await expect(page.locator("#live-status")).to_have_text("live")
    await page.screenshot(path=screenshot_path("board"), full_page=True)
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=screenshot_path("board-phone"), full_page=True)
    await page.set_viewport_size(LAPTOP)
    for name, path in [
        ("task", "/p/shop/tasks/1"),
        ("teams", "/p/shop/teams"),
        ("team", "/p/shop/teams/web"),
        ("roster", "/p/shop/roster"),
        ("inbox", "/p/shop/inbox?agent=qa&all=true"),
        ("changelog", "/p/shop/changelog"),
        ("activity", "/p/shop/activity"),
        ("graph", "/p/shop/graph"),
        ("charts", "/p/shop/charts"),
    ]:
        await page.goto(path)
        await expect(page.locator("main h1")).to_be_visible()
        await page.screenshot(path=screenshot_path(name), full_page=True)


async def test_create_and_complete_a_task(browser: Browser, server: str, factory: Factory) -> None:
    await seed_shop(factory)
    page = await logged_in(browser, server)
    await page.goto("/p/shop")
    await page.get_by_text("New task").click()
    await page.get_by_label("Title").fill("Write the footer")
    await page.locator("#nt-tracker").select_option("backend")
    await page.get_by_role("button", name="Create task").click()
    await expect(page.get_by_role("heading", name="#4 Write the footer")).to_be_visible()
    # One status menu: the move is chosen, only its fields show, one button applies it.
    await expect(page.get_by_label("In progress (claim & start)")).to_be_checked()
    await expect(page.get_by_label("Outcome (one line, required)")).to_be_hidden()
    await page.locator("#status-as").select_option("backend")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator("#task-status")).to_have_text("in progress")
    await page.get_by_label("Completed", exact=True).check()
    await expect(page.get_by_label("Because (required)")).to_be_hidden()
    await page.get_by_label("Outcome (one line, required)").fill("Footer done")
    await page.get_by_label("Files (one a line)").fill("web/footer.html")
    await page.get_by_label("Verified by").fill("looked at it")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator("#task-status")).to_have_text("completed")
    await expect(page.get_by_text("web/footer.html", exact=True)).to_be_visible()
    await expect(page.locator("#actions")).to_have_count(0)  # nothing left to do: no card
    await page.screenshot(path=screenshot_path("task-completed"), full_page=True)


async def test_send_a_message(browser: Browser, server: str, factory: Factory) -> None:
    await seed_shop(factory)
    page = await logged_in(browser, server)
    await page.goto("/p/shop/inbox")
    await page.get_by_label("To (an agent, or @e-mail of a person)").fill("qa")
    await page.get_by_label("Summary").fill("review")
    await page.get_by_label("Message", exact=True).fill("Please review #2")
    await page.get_by_role("button", name="Send").click()
    await expect(page.get_by_role("heading", name="Thread")).to_be_visible()
    await expect(page.locator("#thread")).to_contain_text("Please review #2")
    await page.screenshot(path=screenshot_path("thread"), full_page=True)


async def test_a_change_through_the_api_appears_live(
    browser: Browser, server: str, factory: Factory
) -> None:
    await seed_shop(factory)
    user = await factory.user("agent-runner@example.com")
    await factory.member("shop", "agent-runner@example.com", Role.AGENT, agent="backend")
    token = await factory.token(user, project="shop", agent="backend")
    page = await logged_in(browser, server)
    await page.goto("/p/shop")
    await expect(page.locator("#live-status")).to_have_text("live")
    await page.evaluate("window.crewboardMarker = 'not reloaded'")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server, headers=headers) as api:
        made = await api.post(
            f"{API}/tasks", json={"title": "Made elsewhere", "tracker": "backend"}
        )
        assert made.status_code == 201, made.text
        number = made.json()["number"]
        pending = page.locator(f'[data-column="pending"] #task-{number}')
        await expect(pending).to_contain_text("Made elsewhere")
        claimed = await api.post(f"{API}/tasks/{number}/claim", json={})
        assert claimed.status_code == 200, claimed.text
    running = page.locator(f'[data-column="in_progress"] #task-{number}')
    await expect(running.locator(".who-chip")).to_have_text("backend")
    assert await page.evaluate("window.crewboardMarker") == "not reloaded"
    await page.screenshot(path=screenshot_path("board-live"), full_page=True)


async def test_a_live_refresh_keeps_what_the_user_chose(
    browser: Browser, server: str, factory: Factory
) -> None:
    """A choice made in a live region (an option picked, then the focus gone) survives the
    refresh an event brings; the region catches up once the form is sent."""
    await seed_shop(factory)
    user = await factory.user("agent-runner@example.com")
    await factory.member("shop", "agent-runner@example.com", Role.AGENT, agent="backend")
    token = await factory.token(user, project="shop", agent="backend")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server, headers=headers) as api:
        mine = await api.post(f"{API}/tasks", json={"title": "Footer", "tracker": "backend"})
        assert mine.status_code == 201, mine.text
        page = await logged_in(browser, server)
        await page.goto(f"/p/shop/tasks/{mine.json()['number']}")
        await expect(page.locator("body")).to_have_attribute("data-live-version", "1")
        await page.locator("#status-as").select_option("backend")
        await page.locator("h1").click()  # the focus leaves the form
        made = await api.post(f"{API}/tasks", json={"title": "Elsewhere", "tracker": "qa"})
        assert made.status_code == 201, made.text
    await expect(page.locator("body")).to_have_attribute("data-live-version", "2")
    await expect(page.locator("#status-as")).to_have_value("backend")
    await page.get_by_role("button", name="Apply").click()
    await expect(page.locator("#task-status")).to_have_text("in progress")


async def test_forged_form_posts_are_rejected(
    browser: Browser, server: str, factory: Factory, database: Database
) -> None:
    await seed_shop(factory)
    page = await logged_in(browser, server)
    await page.goto("/p/shop")
    # Same origin, session cookie sent, but no CSRF token: 403, nothing created.
    status = await page.evaluate(
        """async () => (await fetch('/p/shop/tasks', {method: 'POST',
             body: new URLSearchParams({title: 'Forged'})})).status"""
    )
    assert status == 403
    # A page of another origin posting a form to crewboard: refused as well.
    other = await page.context.new_page()
    await other.set_content(
        f'<form method="post" action="{server}/p/shop/tasks">'
        '<input name="title" value="Forged"><button>go</button></form>'
    )
    async with other.expect_navigation():
        await other.get_by_role("button", name="go").click()
    # SameSite=Lax keeps the cookie off a cross-site post; the token check would stop it too.
    assert await other.locator("main h1").inner_text() in ("401 · Logged out", "403 · Forbidden")
    await other.screenshot(path=screenshot_path("csrf-rejected"))
    page_text = await (await page.context.request.get(f"{server}/p/shop")).text()
    assert "Forged" not in page_text
