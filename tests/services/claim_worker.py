"""A separate OS process that claims tasks until none is ready (used by the claim tests).

Usage: python -m tests.services.claim_worker DATABASE_URL SLUG TOKEN; prints the claimed
task numbers as a JSON list on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import NotFound, unit_of_work
from crewboard.services.tasks import ClaimScope, Tasks
from tests.support.world import actor_for


async def drain(url: str, slug: str, token: str) -> list[int]:
    settings = Settings(database_url=url, jobs_enabled=False)
    database = Database(settings)
    claimed: list[int] = []
    try:
        actor = await actor_for(database, settings, token)
        while True:
            try:
                async with unit_of_work(database, write=True) as session:
                    view = await Tasks(session, settings).claim_next(
                        actor, slug, ClaimScope(anywhere=True)
                    )
                    claimed.append(view.task.number)
            except NotFound:
                return claimed
    finally:
        await database.dispose()


if __name__ == "__main__":
    numbers = asyncio.run(drain(sys.argv[1], sys.argv[2], sys.argv[3]))
    sys.stdout.write(json.dumps(numbers))
