"""A periodic job loop that survives a failing run (logged) and stops with the app."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

logger = logging.getLogger(__name__)

# How long stopping waits for a run in progress before cancelling it.
STOP_SECONDS = 5.0


class PeriodicJob:
    """Run ``work`` every ``interval`` seconds until stopped."""

    def __init__(
        self,
        name: str,
        interval: float,
        work: Callable[[], Awaitable[object]],
        *,
        stop_seconds: float = STOP_SECONDS,
    ) -> None:
        self.name = name
        self.stop_seconds = stop_seconds
        self.interval = interval
        self.work = work
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    def start(self) -> None:
        """Begin the loop in the background."""
        self._task = asyncio.create_task(self._loop(), name=f"crewboard-job-{self.name}")

    async def stop(self) -> None:
        """End the loop: a run in progress may finish (up to ``stop_seconds``); only a run
        that does not is cancelled. Cancelling in the middle of a database call leaves the
        driver's connection half-reset, which the pool then reports as an error."""
        if self._task is None:
            return
        self._stopping.set()
        done, _ = await asyncio.wait({self._task}, timeout=self.stop_seconds)
        if not done:
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
        while not self._stopping.is_set():
            await self.run_once()
            with suppress(TimeoutError):  # a stop request ends the pause at once
                await asyncio.wait_for(self._stopping.wait(), self.interval)
