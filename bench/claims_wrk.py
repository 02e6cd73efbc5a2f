"""Claim throughput measured with ``wrk`` (a C load generator), so that the figure is the
server's and not the Python load generator's.

    .venv/bin/python -m bench.claims_wrk [--database sqlite|postgresql] [--seconds 10]

Needs ``wrk`` on the PATH (Debian: ``apt-get install wrk``). Prints requests/s for a trivial
route (``/healthz``: the HTTP stack's own ceiling) and for ``POST /tasks/claim`` with 64
connections (the seeded agents' tokens in turn), then compares the successful claims wrk
counted with the tasks owned in the database: a double claim (two clients told they got one
task) shows as more successes. ``make bench`` (bench/suite.py) runs the same script at 8, 64
and 256 connections on both databases.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
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
# Requests are formatted once per token and rotated per request, so the claims come from
# several agents; each wrk thread counts its answers, done() sums them over the threads.
LUA = """local tokens = {TOKENS}
local requests = {}
local next_request = 0
claimed, empty, failed = 0, 0, 0
function init(args)
  for k, token in ipairs(tokens) do
    requests[k] = wrk.format("POST", nil, {["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. token}, '{"anywhere": true}')
  end
end
function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end
function response(status, headers, body)
  if status == 200 then claimed = claimed + 1
  elseif status == 404 then empty = empty + 1
  else failed = failed + 1 end
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local c, e, f = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("claimed"); e = e + thread:get("empty"); f = f + thread:get("failed")
  end
  io.write(string.format("claims-ok: %d\\nclaims-empty: %d\\nclaims-failed: %d\\n", c, e, f))
end
"""


@dataclass(frozen=True)
class WrkRun:
    """What one wrk run reached: requests/s and the claim answers its script counted."""

    requests_per_s: float
    claimed: int = 0
    empty: int = 0
    failed: int = 0


def claim_script(folder: Path, tokens: list[str]) -> Path:
    """A wrk Lua script that claims with ``tokens`` in turn and counts the answers."""
    script = folder / "claim.lua"
    quoted = ", ".join(f'"{token}"' for token in tokens)  # tokens are URL-safe base64
    script.write_text(LUA.replace("{TOKENS}", "{" + quoted + "}"))
    return script


def wrk(url: str, seconds: float, script: Path | None = None, connections: int = 64) -> WrkRun:
    """Run wrk (one thread, ``connections`` keep-alive connections) against ``url``."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s"]
    if script is not None:
        args += ["-s", str(script)]
    done = subprocess.run([*args, url], capture_output=True, text=True, check=True)  # noqa: S603
    match = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if match is None:
        raise RuntimeError(f"unexpected wrk output: {done.stdout}")
    counts = dict(re.findall(r"claims-(\w+): (\d+)", done.stdout))
    return WrkRun(
        float(match.group(1)),
        int(counts.get("ok", 0)),
        int(counts.get("empty", 0)),
        int(counts.get("failed", 0)),
    )


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
        script = claim_script(folder, list(seeded.agent_tokens.values()))
        with server(url, {"CREWBOARD_JOBS_ENABLED": "false"}) as base:
            healthz = wrk(f"{base}/healthz", 3).requests_per_s
            run = wrk(f"{base}/api/v1/projects/{SLUG}/tasks/claim", args.seconds, script)
            rate, told = run.requests_per_s, run.claimed
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
