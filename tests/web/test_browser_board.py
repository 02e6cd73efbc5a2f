"""The demo's board in Chromium, as a lead meets it: cards open by a click anywhere, nothing
wider than the screen at 1440x900 or on a phone, graph titles inside their boxes, a legend
without bullets. With ``CREWBOARD_SCREENSHOTS_DOCS=1`` the screenshots go to docs/screenshots
(docs/dashboard.md shows them); otherwise to the git-ignored artifacts folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from crewboard.services.core import unit_of_work
from crewboard.services.interop import seed_demo
from tests.support.factory import Factory
from tests.support.http import PASSWORD
from tests.web.browser import PHONE, logged_in, screenshot_path

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("heavy")]

WIDE: ViewportSize = {"width": 1440, "height": 900}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
OVERFLOW = "document.documentElement.scrollWidth > window.innerWidth"
# Each node's title text against its box, in the browser's own measure.
TEXT_OUTSIDE = """
[...document.querySelectorAll('#graph svg a')].filter(a => {
  const box = a.querySelector('rect').getBBox();
  return [...a.querySelectorAll('text')].some(t => {
    const b = t.getBBox();
    return b.x < box.x || b.x + b.width > box.x + box.width;
  });
}).map(a => a.textContent.trim()).slice(0, 5)
"""


def _shot(name: str) -> str:
    if os.environ.get("CREWBOARD_SCREENSHOTS_DOCS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        return str(DOCS / f"{name}.png")
    return str(screenshot_path(name))


async def _demo_page(browser: Browser, server: str, factory: Factory) -> Page:
    await factory.user("lead@example.com", admin=True, password=PASSWORD)
    async with unit_of_work(factory.database, write=True) as session:
        await seed_demo(session, factory.settings, slug="demo", email=None)
    page = await logged_in(browser, server, "lead@example.com")
    await page.set_viewport_size(WIDE)
    return page


async def test_the_demo_board_reads_at_a_glance(
    browser: Browser, server: str, factory: Factory
) -> None:
    page = await _demo_page(browser, server, factory)
    await page.goto("/p/demo")
    await expect(page.locator("#live-status")).to_have_text("live")
    # The refresh each (re)connect makes swaps the board: measure and click after it.
    await expect(page.locator("body")).to_have_attribute("data-live-version", "1")
    assert not await page.evaluate(OVERFLOW)
    await expect(page.locator(".waits").first).to_be_visible()  # a card says what it waits on
    await page.screenshot(path=_shot("board"), full_page=False)

    # A click anywhere on a card (here its lower right corner) opens the task.
    card = page.locator('[data-column="in_progress"] .card').first
    box = await card.bounding_box()
    assert box is not None
    await page.mouse.click(box["x"] + box["width"] - 6, box["y"] + box["height"] - 6)
    await expect(page).to_have_url(re.compile(r"/p/demo/tasks/\d+$"))
    await expect(page.locator("#status-form")).to_be_visible()
    await page.screenshot(path=_shot("task"), full_page=True)

    for name in ("roster", "conversations", "charts"):
        await page.goto(f"/p/demo/{name}")
        assert not await page.evaluate(OVERFLOW), name
        await page.screenshot(path=_shot(name), full_page=True)
    bullet = await page.evaluate(
        "getComputedStyle(document.querySelector('.legend li')).listStyleType"
    )
    assert bullet == "none"
    await page.goto("/p/demo/graph")
    assert await page.evaluate(TEXT_OUTSIDE) == []
    await page.screenshot(path=_shot("graph"), full_page=False)

    await page.set_viewport_size(PHONE)
    for path in ("/p/demo", "/p/demo/conversations", "/p/demo/settings"):
        await page.goto(path)
        assert not await page.evaluate(OVERFLOW), path
    await page.goto("/p/demo")
    await page.screenshot(path=_shot("board-phone"), full_page=False)
