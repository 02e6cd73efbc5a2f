"""A periodic job loop that survives a failing run (logged) and stops with the app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

logger = logging.getLogger(__name__)


class PeriodicJob:
    """Run ``work`` every ``interval`` seconds until stopped."""

    def __init__(self, name: str, interval: float, work: Callable[[], Awaitable[object]]) -> None:
        self.name = name
        self.interval = interval
        self.work = work
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin the loop in the background."""
        self._task = asyncio.create_task(self._loop(), name=f"crewboard-job-{self.name}")

    async def stop(self) -> None:
        """Cancel the loop and wait for it to end."""
        if self._task is None:
            return
        self._task.cancel()
        with suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def run_once(self) -> None:
        """One run; a failure is logged with its traceback and the loop goes on."""
        try:
            await self.work()
        except Exception:
            logger.exception("job %s failed; it will run again in %.0fs", self.name, self.interval)

    async def _loop(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval)
