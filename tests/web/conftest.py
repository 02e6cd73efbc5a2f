"""The browser tests' live server and Debian's Chromium (tests/web/browser.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, async_playwright

from crewboard.config import Settings
from crewboard.database import Database
from tests.support.live import live_server
from tests.web.browser import CHROMIUM_ARGS, chromium_path


@pytest.fixture
def server(database: Database, settings: Settings) -> Iterator[str]:
    with live_server(settings) as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()
