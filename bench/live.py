"""Live-event latency: from an HTTP write (a task creation) to an SSE client receiving its
event, against real ``crewboard serve`` processes.

    .venv/bin/python -m bench.live [--samples 300] [--database sqlite|postgresql]

Prints p50/p99 of: the write alone (request to response), and write-to-SSE (request sent
to event received) with the stream on the same server and, with ``--database postgresql``,
on a second server process (LISTEN/NOTIFY across processes).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.common import (
    POSTGRES_ADMIN_URL,
    create_postgres_database,
    drop_postgres_database,
    server,
    summary_ms,
    tmp_sqlite,
)
from bench.seed import SLUG, seed

logger = logging.getLogger("bench.live")


async def measure(writer: str, reader: str, token: str, samples: int) -> tuple[list[float], ...]:
    """Write ``samples`` tasks one by one through ``writer``, streaming from ``reader``."""
    headers = {"authorization": f"Bearer {token}"}
    writes: list[float] = []
    delivered: list[float] = []
    async with (
        httpx.AsyncClient(base_url=writer, headers=headers, timeout=60) as w,
        httpx.AsyncClient(base_url=reader, headers=headers, timeout=60) as r,
        r.stream("GET", f"/api/v1/projects/{SLUG}/events", params={"kind": "task.created"}) as s,
    ):
        lines = s.aiter_lines()
        async for line in lines:  # the first message: the stream follows live events now
            if line == "":
                break
        for i in range(samples):
            started = time.perf_counter()
            response = await w.post(f"/api/v1/projects/{SLUG}/tasks", json={"title": f"live {i}"})
            response.raise_for_status()
            writes.append(time.perf_counter() - started)
            number = response.json()["number"]
            async for line in lines:
                if line.startswith("data: "):
                    event = json.loads(line.removeprefix("data: "))
                    if event["subject"] == f"task:{number}":
                        delivered.append(time.perf_counter() - started)
                        break
    return writes, delivered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    pg_name = f"crewboard_bench_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder:
        if args.database == "sqlite":
            url = tmp_sqlite(Path(folder), "live")
        else:
            url = asyncio.run(create_postgres_database(args.postgres_admin_url, pg_name))
        try:
            seeded = asyncio.run(seed(url, 0, 1))
            with server(url) as base:
                writes, same = asyncio.run(measure(base, base, seeded.lead_token, args.samples))
                logger.info("%s, write alone (p50 / p99 ms): %s", args.database, summary_ms(writes))
                logger.info("%s, write to SSE, same server: %s", args.database, summary_ms(same))
                if args.database == "postgresql":
                    with server(url) as other:
                        _, cross = asyncio.run(
                            measure(base, other, seeded.lead_token, args.samples)
                        )
                    logger.info("postgresql, write to SSE, other server: %s", summary_ms(cross))
        finally:
            if args.database == "postgresql":
                asyncio.run(drop_postgres_database(args.postgres_admin_url, pg_name))


if __name__ == "__main__":
    main()
