"""A separate OS process that sends messages to one inbox (used by the message tests).

Usage: python -m tests.services.messages.message_worker DATABASE_URL SLUG TOKEN TO COUNT TAG; prints
the sent message ids as a JSON list on stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import unit_of_work
from crewboard.services.messages import MessageService, Outgoing
from tests.support.world import actor_for


async def flood(url: str, slug: str, token: str, to: str, count: int, tag: str) -> list[int]:
    settings = Settings(database_url=url, jobs_enabled=False)
    database = Database(settings)
    sent: list[int] = []
    try:
        actor = await actor_for(database, settings, token)
        for i in range(count):
            async with unit_of_work(database, write=True) as session:
                out = Outgoing(to=to, body=f"{tag}-{i}")
                sent.append((await MessageService(session).send(actor, slug, out)).message.id)
        return sent
    finally:
        await database.dispose()


if __name__ == "__main__":
    ids = asyncio.run(
        flood(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    )
    sys.stdout.write(json.dumps(ids))
