"""PostgreSQL LISTEN, held open: the driver-level half of the live bus (services/live)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg

from crewboard.database.engine import Database

logger = logging.getLogger(__name__)


class Listener:
    """LISTEN on one channel for as long as ``run`` runs: ``on_notify`` is called on every
    NOTIFY and once after every (re)connect, so nothing committed while not listening is
    missed; a dropped connection is reopened."""

    def __init__(
        self,
        database: Database,
        channel: str,
        on_notify: Callable[[], None],
        *,
        retry_seconds: float = 5.0,
    ) -> None:
        self.database = database
        self.channel = channel
        self.on_notify = on_notify
        self.retry_seconds = retry_seconds
        self._lost: asyncio.Event | None = None

    def interrupt(self) -> None:
        """End the current connection (``run`` returns if its ``stopping`` is set)."""
        if self._lost is not None:
            self._lost.set()

    async def run(self, stopping: asyncio.Event) -> None:
        """Listen until ``stopping`` is set (and ``interrupt`` is called, or a drop)."""
        url = self.database.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        while not stopping.is_set():
            self._lost = lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(dsn)
            except (OSError, asyncpg.PostgresError) as exc:
                logger.warning("live events: cannot LISTEN (%s); polling only for now", exc)
                with contextlib.suppress(TimeoutError):  # a stop request ends the pause
                    await asyncio.wait_for(stopping.wait(), self.retry_seconds)
                continue
            try:
                conn.add_termination_listener(lambda _conn, done=lost: done.set())
                await conn.add_listener(self.channel, lambda *_args: self.on_notify())
                self.on_notify()  # catch up on whatever committed while not listening
                await lost.wait()
                if not stopping.is_set():
                    logger.warning("live events: the LISTEN connection dropped; reconnecting")
            finally:
                await conn.close()
