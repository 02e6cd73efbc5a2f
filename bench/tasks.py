"""Task benchmarks over HTTP against a real ``crewboard serve`` process.

    .venv/bin/python -m bench.tasks [--sizes 10000 100000] [--clients 64] [--claims 3000]
                                    [--database sqlite|postgresql]

Prints, per size: ready-queue latency (p50/p99), create and update latency, claims per
second with N concurrent clients (and double claims, which must be 0), and the ceiling:
raw SQLite transactions per second for the same claim UPDATE, measured in the same run.
Its claim storm uses httpx clients; ``make bench`` (bench/suite.py) measures claims with wrk.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import tempfile
import time
from pathlib import Path

from bench.ceilings import sqlite_ceilings
from bench.common import (
    POSTGRES_ADMIN_URL,
    create_postgres_database,
    drop_postgres_database,
    http,
    server,
    summary_ms,
    tmp_sqlite,
)
from bench.seed import SLUG, seed
from bench.workloads import task_latencies

logger = logging.getLogger("bench.tasks")
API = f"/api/v1/projects/{SLUG}/tasks"


async def claim_storm(base: str, tokens: list[str], total: int) -> tuple[float, int, int]:
    """N clients claim until ``total`` claims are made; (claims/s, claims, double claims)."""
    claimed: list[int] = []
    refused = 0

    async def worker(token: str) -> None:
        nonlocal refused
        async with http(base, token, connections=2) as client:
            while len(claimed) < total:
                response = await client.post(f"{API}/claim", json={"anywhere": True})
                if response.status_code == 200:
                    claimed.append(response.json()["number"])
                elif response.status_code == 404:
                    return
                else:
                    refused += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(t) for t in tokens))
    elapsed = time.perf_counter() - started
    if refused:
        logger.warning("%d claim requests were refused (busy)", refused)
    return len(claimed) / elapsed, len(claimed), len(claimed) - len(set(claimed))


async def measure(
    base: str, lead: str, tokens: list[str], claims: int, samples: int
) -> dict[str, str]:
    """Every figure for one database size."""
    async with http(base, lead) as client:
        samples_by_name = await task_latencies(client, samples)
    figures = {
        f"{name} p50/p99 ms": summary_ms(samples_by_name[name])
        for name in ("ready", "create", "update")
    }
    rate, made, doubles = await claim_storm(base, tokens, claims)
    figures[f"claims/s over HTTP ({len(tokens)} clients)"] = f"{rate:.0f} ({made} claims)"
    figures["double claims"] = str(doubles)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--claims", type=int, default=3000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder = Path(tempfile.mkdtemp(prefix="crewboard-bench-"))
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for size in args.sizes:
            pg_name = f"crewboard_bench_{size}"
            if args.database == "sqlite":
                url = tmp_sqlite(folder, f"tasks-{size}")
            else:
                url = asyncio.run(create_postgres_database(args.postgres_admin_url, pg_name))
            logger.info("seeding %d tasks ...", size)
            seeded = asyncio.run(seed(url, size, args.clients))
            ceiling_copy = folder / f"ceiling-{size}.db"
            if args.database == "sqlite":
                shutil.copy(Path(url.removeprefix("sqlite+aiosqlite:///")), ceiling_copy)
            try:
                with server(url, {"CREWBOARD_JOBS_ENABLED": "false"}) as base:
                    tokens = list(seeded.agent_tokens.values())
                    figures = asyncio.run(
                        measure(base, seeded.lead_token, tokens, args.claims, args.samples)
                    )
            finally:
                if args.database == "postgresql":
                    asyncio.run(drop_postgres_database(args.postgres_admin_url, pg_name))
            if args.database == "sqlite":
                ceiling = sqlite_ceilings(
                    ceiling_copy, 5.0, reader="agent-1", sink="agent-2", only=("claim",)
                )["claim"]
                figures["ceiling: raw SQLite claim tx/s"] = f"{ceiling:.0f}"
            rows.append((size, figures))
            logger.info("%d tasks: %s", size, figures)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    keys = list(rows[0][1])
    lines = [
        "| figure | " + " | ".join(f"{size:,} tasks" for size, _ in rows) + " |",
        "|---|" + "---|" * len(rows),
    ]
    lines += [f"| {k} | " + " | ".join(f[k] for _, f in rows) + " |" for k in keys]
    logger.info("\n%s", "\n".join(lines))


if __name__ == "__main__":
    main()
