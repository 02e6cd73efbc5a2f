"""Debian's Chromium driven by Playwright, for the browser tests (never Playwright's own
browser download, which cannot work on these machines).

``CREWBOARD_TEST_CHROMIUM`` names the binary (default: ``chromium`` on the PATH).
Without one the browser tests are skipped with the reason, unless
``CREWBOARD_TEST_REQUIRE_BROWSER=1`` (CI sets it; ``make test`` installs Chromium), which
makes a missing browser a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.support.http import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this
# machine's closed network refuses; --no-sandbox because the tests may run as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
LAPTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}


def chromium_path() -> str:
    """The Chromium to drive; skips (or, when required, fails) the test without one."""
    wanted = os.environ.get("CREWBOARD_TEST_CHROMIUM", "chromium")
    found = shutil.which(wanted)
    if found is None:
        reason = f"Chromium not found ({wanted!r}); `make test` installs Debian's chromium"
        if os.environ.get("CREWBOARD_TEST_REQUIRE_BROWSER", "") not in ("", "0", "false"):
            pytest.fail(reason + " (CREWBOARD_TEST_REQUIRE_BROWSER is set)")
        pytest.skip(reason)
    return found


def screenshot_path(name: str) -> Path:
    """Where a test saves a screenshot (a git-ignored folder)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


WAIT_MS = 10_000


async def logged_in(browser: Browser, server: str, email: str = "alice@example.com") -> Page:
    """A laptop-sized page logged in as ``email`` (on the projects page)."""
    context = await browser.new_context(viewport=LAPTOP, base_url=server)
    page = await context.new_page()
    page.set_default_timeout(WAIT_MS)
    await page.goto("/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    return page
