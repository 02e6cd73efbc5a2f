"""Run one command's async work against the database, in one unit of work, as the system.

Every admin command opens its own engine, checks that the schema is current, runs its
work in one transaction (committed on success, rolled back on any error) and disposes
of the engine. Database access failures become a one-line ``CliError``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.cli.admin.settings import load_settings
from crewboard.cli.errors import EXIT_FAILURE, CliError, one_line
from crewboard.config import Settings
from crewboard.database import Database, current_revision, head_revision, is_busy
from crewboard.services.core import MAX_LIMIT, Actor, Page, unit_of_work

T = TypeVar("T")

SYSTEM = Actor.system()


@dataclass(frozen=True, slots=True)
class Unit:
    """What a command's work gets: the open session, the settings, and who acts."""

    session: AsyncSession
    settings: Settings
    actor: Actor = SYSTEM


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """An engine for this command, disposed at the end; access failures become CliError."""
    shown = settings.database_url
    threads_before = set(threading.enumerate())
    try:
        database = Database(settings)
        shown = database.url.render_as_string(hide_password=True)
    except (OSError, ValueError, SQLAlchemyError) as exc:
        raise CliError(f"cannot open the database {shown}: {one_line(str(exc), 300)}") from exc
    try:
        yield database
    except (OperationalError, InterfaceError) as exc:
        if is_busy(exc):
            raise CliError(
                f"the database {shown} is busy: another process held its write lock longer "
                "than CREWBOARD_SQLITE_BUSY_TIMEOUT_MS; nothing was changed, try again"
            ) from exc
        detail = one_line(str(getattr(exc, "orig", None) or exc), 300)
        raise CliError(f"cannot use the database {shown}: {detail}") from exc
    except SQLAlchemyError as exc:
        detail = one_line(str(getattr(exc, "orig", None) or exc), 300)
        raise CliError(f"database error on {shown}: {detail}") from exc
    except (OSError, TimeoutError) as exc:
        raise CliError(f"cannot reach the database {shown}: {exc}") from exc
    finally:
        await database.dispose()
        if database.is_sqlite:
            _join_new_threads(threads_before)


def _join_new_threads(before: set[threading.Thread], seconds: float = 2.0) -> None:
    """Let the aiosqlite worker threads this command started end while the loop exists.

    After a failed SQLite connection, aiosqlite hands the loop one last callback from its
    (daemon) thread without waiting for it; if ``asyncio.run`` has closed the loop by then,
    the thread dies with a traceback on stderr. Joining here, after ``dispose``, prevents it.
    """
    for thread in set(threading.enumerate()) - before:
        if "_connection_worker_thread" in thread.name:  # "Thread-N (target function)"
            thread.join(seconds)


async def require_current_schema(database: Database) -> None:
    """Refuse to work on a database whose schema is not the one this code expects."""
    current, head = await current_revision(database), head_revision()
    if current != head:
        shown = database.url.render_as_string(hide_password=True)
        raise CliError(
            f"the database {shown} is at schema revision {current or 'none'}, this crewboard "
            f"needs {head}; run 'crewboard migrate' (or 'crewboard serve') first, or point "
            "CREWBOARD_DATABASE_URL at the database the server uses",
            EXIT_FAILURE,
        )


def run_unit(work: Callable[[Unit], Awaitable[T]], *, write: bool) -> T:
    """Run ``work`` in one unit of work on the configured database and return its result."""
    settings = load_settings()

    async def _main() -> T:
        async with open_database(settings) as database:
            await require_current_schema(database)
            async with unit_of_work(database, write=write) as session:
                return await work(Unit(session=session, settings=settings))

    return asyncio.run(_main())


async def collect(fetch: Callable[[str | None, int], Awaitable[Page[T]]]) -> list[T]:
    """Every item of a paged service listing (``fetch(cursor, limit)``)."""
    items: list[T] = []
    cursor: str | None = None
    while True:
        page = await fetch(cursor, MAX_LIMIT)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor
