"""One OS process of the SQLite hammer test: versioned increments, claims and completions.

Usage: python -m tests.reliability.hammer_worker MODE URL TOKEN COUNTERS [CLAIM_TOKEN]
MODE ``direct`` works on the database file through the services (URL is the database;
TOKEN increments the counters, CLAIM_TOKEN, an agent's, claims); MODE ``http`` works through
a server's REST API (URL is the server). Runs until SIGTERM
(bounded by a count and a deadline) and prints its tally as JSON on stdout.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from typing import Any

import httpx
from sqlalchemy.exc import OperationalError

from crewboard.config import Settings
from crewboard.database import Database, is_busy
from crewboard.services.core import Conflict, NotFound, unit_of_work
from crewboard.services.tasks import ClaimScope, TaskChange, Tasks
from tests.reliability.load import busy_response, problem_code
from tests.support.world import SLUG, actor_for

MAX_STEPS = 20000
DEADLINE_SECONDS = 400.0
BUSY_PAUSE = 0.05
CLAIM_EVERY = 20  # steps: the pool lasts the whole run, so claimers of other processes race
# A breath between steps: two cores carry eight processes, and the CLI lanes must get a turn.
PAUSE = 0.03


def _new_tally() -> dict[str, Any]:
    return {"acked": {}, "refused": {}, "busy": 0, "unexpected": [], "claims": []}


def _count(tally: dict[str, Any], part: str, key: str) -> None:
    tally[part][key] = tally[part].get(key, 0) + 1


async def direct(
    url: str, token: str, stop: asyncio.Event, counters: list[int], claim_token: str
) -> dict[str, Any]:
    """On the file: increment the counters (a compare-and-set on the version); every
    ``CLAIM_EVERY`` steps claim the best ready task and complete it."""
    settings = Settings(database_url=url, jobs_enabled=False)
    database = Database(settings)
    tally = _new_tally()
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        actor = await actor_for(database, settings, token)
        claimer = await actor_for(database, settings, claim_token)
        for step in range(MAX_STEPS):
            if stop.is_set() or time.monotonic() > deadline:
                break
            await asyncio.sleep(PAUSE)
            try:
                if step % CLAIM_EVERY == CLAIM_EVERY - 1:
                    async with unit_of_work(database, write=True) as session:
                        tasks = Tasks(session, settings)
                        view = await tasks.claim_next(claimer, SLUG, ClaimScope(anywhere=True))
                        task = view.task
                        await tasks.complete(claimer, SLUG, task.number, outcome="done")
                    tally["claims"].append(task.number)
                    _count(tally, "acked", "claim+complete")
                    continue
                number = counters[step % len(counters)]
                async with unit_of_work(database, write=False) as session:
                    seen = (await Tasks(session, settings).get(actor, SLUG, number)).task
                    version, value = seen.version, int(seen.meta.get("n", 0))
                async with unit_of_work(database, write=True) as session:
                    await Tasks(session, settings).update(
                        actor, SLUG, number, TaskChange(metadata={"n": value + 1}), version=version
                    )
                _count(tally, "acked", "increment")
            except Conflict as exc:
                _count(tally, "refused", exc.detail_code)
            except NotFound as exc:
                _count(tally, "refused", exc.detail_code)
            except OperationalError as exc:
                if not is_busy(exc):
                    raise
                tally["busy"] += 1
                await asyncio.sleep(BUSY_PAUSE)
    finally:
        await database.dispose()
    return tally


async def over_http(
    url: str, token: str, stop: asyncio.Event, counters: list[int]
) -> dict[str, Any]:
    """Through the server: increment the counters with ``PATCH`` and ``If-Match``."""
    tally = _new_tally()
    deadline = time.monotonic() + DEADLINE_SECONDS
    headers = {"authorization": f"Bearer {token}"}
    api = f"/api/v1/projects/{SLUG}/tasks"
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        for step in range(MAX_STEPS):
            if stop.is_set() or time.monotonic() > deadline:
                break
            await asyncio.sleep(PAUSE)
            number = counters[step % len(counters)]
            got = await http.get(f"{api}/{number}")
            if busy_response(got):
                tally["busy"] += 1
                continue
            if got.status_code != 200:
                tally["unexpected"].append(f"get: {got.status_code} {got.text[:300]}")
                continue
            value = int((got.json().get("metadata") or {}).get("n", 0))
            r = await http.patch(
                f"{api}/{number}",
                json={"metadata": {"n": value + 1}},
                headers={"if-match": got.headers["etag"]},
            )
            if r.is_success:
                _count(tally, "acked", "increment")
            elif busy_response(r):
                tally["busy"] += 1
                await asyncio.sleep(BUSY_PAUSE)
            elif r.status_code == 409 and problem_code(r) == "version-conflict":
                _count(tally, "refused", "version-conflict")
            else:
                tally["unexpected"].append(f"patch: {r.status_code} {r.text[:300]}")
    return tally


def main(argv: list[str]) -> None:
    mode, url, token, counters, *claim_token = argv
    numbers = [int(n) for n in counters.split(",")]

    async def until_stopped() -> dict[str, Any]:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        if mode == "direct":
            return await direct(url, token, stop, numbers, claim_token[0])
        return await over_http(url, token, stop, numbers)

    sys.stdout.write(json.dumps(asyncio.run(until_stopped())))


if __name__ == "__main__":
    main(sys.argv[1:])
