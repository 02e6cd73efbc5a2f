"""Counting the SQL statements sent while a block runs (``before_cursor_execute`` on every
engine of the process; database/statements.py tells the same listeners about its own)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

LIVE_TASKS = "crewboard-live"


@contextmanager
def counted(*, bus: bool = False) -> Iterator[list[str]]:
    """The statements sent while the block runs: the request's own (the live bus's polls
    left out, they run on their own schedule), or with ``bus`` only the live bus's."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        task = asyncio.current_task()
        of_bus = task is not None and task.get_name().startswith(LIVE_TASKS)
        if of_bus == bus:
            seen.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)
