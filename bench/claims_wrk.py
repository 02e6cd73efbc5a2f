"""Claim throughput measured with ``wrk`` (a C load generator), so that the figure is the
server's and not the Python load generator's.

    .venv/bin/python -m bench.claims_wrk [--database sqlite|postgresql] [--seconds 10]

Needs ``wrk`` on the PATH (Debian: ``apt-get install wrk``). Prints requests/s for a trivial
route (``/healthz``: the HTTP stack's own ceiling) and for ``POST /tasks/claim`` with 64
connections, then compares the successful claims wrk counted with the tasks owned in the
database: a double claim (two clients told they got one task) shows as more successes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import func, select

from bench.common import (
    POSTGRES_ADMIN_URL,
    create_postgres_database,
    drop_postgres_database,
    server,
    tmp_sqlite,
)
from bench.seed import SLUG, seed
from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models.tasks import Task

logger = logging.getLogger("bench.claims_wrk")
LUA = """wrk.method = "POST"
wrk.body = '{"anywhere": true}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer TOKEN"
local threads = {}
function setup(thread) table.insert(threads, thread) end
claimed = 0
function response(status, headers, body) if status == 200 then claimed = claimed + 1 end end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("claimed") end
  io.write(string.format("claims-ok: %d\\n", total))
end
"""


def wrk(url: str, seconds: int, script: Path | None = None) -> tuple[float, int]:
    """Requests per second that wrk reached against ``url`` with 64 connections, and the
    number of successful claims the script counted (0 without a script)."""
    args = ["wrk", "-t1", "-c64", f"-d{seconds}s"]
    if script is not None:
        args += ["-s", str(script)]
    done = subprocess.run([*args, url], capture_output=True, text=True, check=True)  # noqa: S603
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if match is None:
        raise RuntimeError(f"unexpected wrk output: {done.stdout}")
    counted = re.search(r"claims-ok: (\d+)", done.stdout)
    return float(match.group(1)), int(counted.group(1)) if counted else 0


async def owned_tasks(url: str) -> int:
    """How many tasks have an owner."""
    database = Database(Settings(database_url=url))
    try:
        async with database.engine.connect() as conn:
            owned = await conn.scalar(
                select(func.count()).select_from(Task).where(Task.owner.is_not(None))
            )
    finally:
        await database.dispose()
    return int(owned or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=50_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="crewboard-wrk-"))
    name = "crewboard_bench_wrk"
    if args.database == "sqlite":
        url = tmp_sqlite(folder, "wrk")
    else:
        url = asyncio.run(create_postgres_database(POSTGRES_ADMIN_URL, name))
    try:
        seeded = asyncio.run(seed(url, args.tasks, 4))
        script = folder / "claim.lua"
        script.write_text(LUA.replace("TOKEN", next(iter(seeded.agent_tokens.values()))))
        with server(url, {"CREWBOARD_JOBS_ENABLED": "false"}) as base:
            healthz, _ = wrk(f"{base}/healthz", 3)
            rate, told = wrk(f"{base}/api/v1/projects/{SLUG}/tasks/claim", args.seconds, script)
        owned = asyncio.run(owned_tasks(url))
        # A double claim tells two clients they got one task: more successes than owned tasks.
        # (Owned may exceed told by the requests still in flight when wrk stopped counting.)
        doubles = max(0, told - owned)
        header = "| %s | /healthz req/s | claims/s | claims told | tasks owned | double claims |"
        logger.info(header, args.database)
        logger.info("| | %.0f | %.0f | %d | %d | %d |", healthz, rate, told, owned, doubles)
    finally:
        if args.database == "postgresql":
            asyncio.run(drop_postgres_database(POSTGRES_ADMIN_URL, name))
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
