"""A separate OS process that keeps committing tasks (the writer a backup must not disturb).

Usage: python -m tests.cli.backup_writer DATABASE_URL SLUG; writes each committed task's
number on its own line of stdout, until it is terminated.
"""

from __future__ import annotations

import asyncio
import sys

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.actor import Actor
from crewboard.services.task_actions import Tasks
from crewboard.services.uow import unit_of_work


async def write_forever(url: str, slug: str) -> None:
    settings = Settings(database_url=url, jobs_enabled=False)
    database = Database(settings)
    try:
        n = 0
        while True:
            async with unit_of_work(database, write=True) as session:
                task = await Tasks(session, settings).create(
                    Actor.system(), slug, title=f"written while backing up {n}",
                    description="x" * 2000,  # a bigger file: more pages to copy
                )  # fmt: skip
            sys.stdout.write(f"{task.number}\n")
            sys.stdout.flush()
            n += 1
    finally:
        await database.dispose()


if __name__ == "__main__":
    asyncio.run(write_forever(sys.argv[1], sys.argv[2]))
