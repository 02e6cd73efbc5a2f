"""A separate OS process that keeps committing tasks (the writer a backup must not disturb).

Usage: python -m tests.cli.admin.backup_writer DATABASE_URL SLUG [chain]; writes each committed
task's number on its own line of stdout, until it is terminated. With ``chain`` each task
is blocked by the one before (so a torn read would show a dependency on a missing task).
"""

from __future__ import annotations

import asyncio
import sys

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.tasks import Tasks


async def write_forever(url: str, slug: str, chain: bool) -> None:
    settings = Settings(database_url=url, jobs_enabled=False)
    database = Database(settings)
    try:
        n, previous = 0, None
        while True:
            async with unit_of_work(database, write=True) as session:
                view = await Tasks(session, settings).create(
                    Actor.system(),
                    slug,
                    title=f"written while backing up {n}",
                    description="x" * 2000,  # a bigger file: more pages to copy
                    blocked_by=[previous] if chain and previous else (),
                )
                previous = view.task.number
            sys.stdout.write(f"{view.task.number}\n")
            sys.stdout.flush()
            n += 1
    finally:
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(write_forever(sys.argv[1], sys.argv[2], sys.argv[3:] == ["chain"]))
