"""A lead runs a crew from the browser alone: a fresh admin creates the first project, adds
an agent, issues its token, and that token then works from the official MCP client."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.support.factory import Factory
from tests.support.http import PASSWORD
from tests.support.mcp import http_agent
from tests.web.browser import PHONE, logged_in, screenshot_path

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("heavy")]
# Elements sticking out of the screen, leaving out what scrolls inside its own box.
WIDER_THAN_SCREEN = """
[...document.querySelectorAll('body *')]
  .filter(e => !(e.parentElement && e.parentElement.closest('.scroll')))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)
"""


async def test_first_project_agent_and_token_from_the_browser(
    browser: Browser, server: str, factory: Factory
) -> None:
    await factory.user("lead@example.com", admin=True, password=PASSWORD)
    page = await logged_in(browser, server, "lead@example.com")
    await expect(page.get_by_role("heading", name="Create your first project")).to_be_visible()
    await page.screenshot(path=screenshot_path("admin-empty"), full_page=True)
    await page.get_by_label("Short name (in URLs)").fill("shop")
    await page.get_by_label("Name", exact=True).fill("The shop")
    await page.get_by_role("button", name="Create project").click()
    await expect(page.get_by_role("heading", name="Settings")).to_be_visible()

    await page.get_by_label("Name", exact=True).fill("backend")
    await page.get_by_label("Domain").fill("API, services, database")
    await page.get_by_role("button", name="Add agent").click()
    await expect(page.get_by_role("cell", name="API, services, database")).to_be_visible()

    # No default agent: issuing without choosing one is stopped by the form itself.
    await page.get_by_label("Agent", exact=True).select_option("backend")
    await page.get_by_label("Name (optional)").fill("laptop")
    await page.get_by_role("button", name="Issue token").click()
    await expect(
        page.get_by_role("heading", name="Token for agent backend, shown once")
    ).to_be_visible()
    token = await page.get_by_label("Token", exact=True).input_value()
    snippet = await page.locator("#issued-mcp").input_value()
    assert token.startswith("cb_")
    assert f"Bearer {token}" in snippet
    await page.screenshot(path=screenshot_path("admin-token"), full_page=True)

    async with http_agent(server, token) as agent:
        made = await agent.ok("TaskCreate", subject="Set up the orders table", description="")
        listed = await agent.ok("TaskList")
    assert made["task"]["subject"] == "Set up the orders table"
    assert [t["subject"] for t in listed["tasks"]] == ["Set up the orders table"]
    async with httpx.AsyncClient(base_url=server) as http:
        number = made["task"]["id"]
        history = await http.get(
            f"/api/v1/projects/shop/tasks/{number}/history",
            headers={"authorization": f"Bearer {token}"},
        )
    created = [e for e in history.json()["items"] if e["kind"] == "task.created"]
    assert [e["actor"] for e in created] == ["backend (lead@example.com)"]

    # Reloading never shows the secret again; the list shows its first letters.
    await page.goto("/p/shop/settings")
    assert token not in await page.content()
    await expect(page.get_by_role("cell", name="laptop")).to_be_visible()
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=screenshot_path("admin-settings-phone"), full_page=True)
    overflow = await page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    wide = await page.evaluate(WIDER_THAN_SCREEN)
    assert not overflow, wide
    await page.set_viewport_size({"width": 1280, "height": 800})
    await page.get_by_role("button", name="Revoke token").click()
    async with httpx.AsyncClient(base_url=server) as http:
        refused = await http.get("/api/v1/auth/me", headers={"authorization": f"Bearer {token}"})
    assert refused.status_code == 401
