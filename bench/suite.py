"""The standard benchmark suite (``make bench``): every workload at each size on SQLite and
PostgreSQL, each beside its ceiling, the server's peak memory; written to docs/benchmarks.md.

    .venv/bin/python -m bench.suite [--sizes 1000 10000 100000] [--databases sqlite postgresql]
        [--clients 8 64 256] [--seconds 10] [--samples 200] [--quick] [--no-write]

For each database and size: seed a fresh database, measure the ceilings on a copy of it
(bench/ceilings.py), then start a ``crewboard serve`` process and run the sequential
workloads (httpx, one keep-alive client) and the claim runs (wrk) against it from this
process; read the server's peak RSS before stopping it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.ceilings import run_postgres_ceilings, sqlite_ceilings
from bench.claims_wrk import wrk
from bench.common import (
    asyncpg_dsn,
    bench_parser,
    clone_postgres_database,
    drop_postgres_database,
    fresh_database,
    memory_mib,
    parse_filled,
    serve,
)
from bench.seed import seed
from bench.workloads import claims, latencies

logger = logging.getLogger("bench.suite")
AGENTS = 64  # tokens the claim runs rotate through; the tracker and inbox belong to agent-1
BACKLOG = 1000  # unread messages in the reader's inbox
QUICK: dict[str, Any] = {"sizes": [300], "seconds": 1.0, "samples": 20, "ceiling_seconds": 0.2}
FULL: dict[str, Any] = {
    "sizes": [1000, 10_000, 100_000],
    "seconds": 10.0,
    "samples": 200,
    "ceiling_seconds": 1.0,
}


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The options; ``--quick`` replaces the sizes, durations and samples not given."""
    parser = bench_parser("python -m bench.suite", __doc__, "a tiny run (~1 min), for trying it")
    parser.add_argument("--sizes", type=int, nargs="+", help="tasks (default 1000 10000 100000)")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 64, 256])
    parser.add_argument("--seconds", type=float, help="wrk duration per claim run (default 10)")
    parser.add_argument("--samples", type=int, help="latency samples per workload (default 200)")
    parser.add_argument("--ceiling-seconds", type=float, help="per ceiling statement (default 1)")
    return parse_filled(parser, argv, QUICK, FULL)


def ceilings(kind: str, url: str, folder: Path, args: argparse.Namespace) -> dict[str, float]:
    """The ceilings on a copy of the freshly seeded database (the copy is then removed)."""
    reader, sink = "agent-1", "agent-2"  # as in workloads.latencies
    if kind == "sqlite":
        source = Path(url.removeprefix("sqlite+aiosqlite:///"))
        copy = folder / "ceiling.db"
        for suffix in ("", "-wal"):  # the WAL may still hold the seed's last pages
            if Path(f"{source}{suffix}").exists():
                shutil.copy(f"{source}{suffix}", f"{copy}{suffix}")
        try:
            return sqlite_ceilings(copy, args.ceiling_seconds, reader=reader, sink=sink)
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
    source_name = url.rsplit("/", 1)[1]
    clone = f"{source_name}_ceiling"
    clone_url = asyncio.run(clone_postgres_database(args.postgres_admin_url, source_name, clone))
    try:
        return run_postgres_ceilings(
            asyncpg_dsn(clone_url), args.ceiling_seconds, reader=reader, sink=sink
        )
    finally:
        asyncio.run(drop_postgres_database(args.postgres_admin_url, clone))


def run_one(kind: str, size: int, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Every figure for one database at one size."""
    with fresh_database(kind, folder, f"bench-{size}", args.postgres_admin_url) as url:
        logger.info("%s, %d tasks: seeding", kind, size)
        started = time.perf_counter()
        seeded = asyncio.run(seed(url, size, AGENTS, messages=BACKLOG))
        seed_s = time.perf_counter() - started
        logger.info("%s, %d tasks: ceilings (%.1f s each)", kind, size, args.ceiling_seconds)
        ceiling = ceilings(kind, url, folder, args)
        logger.info("  %s", {k: round(v) for k, v in ceiling.items()})
        with serve(url, {"CREWBOARD_JOBS_ENABLED": "false"}) as served:
            logger.info("%s, %d tasks: workloads against %s", kind, size, served.base)
            at_ready = memory_mib(served.pid)
            latency = asyncio.run(
                latencies(served.base, seeded.lead_token, seeded.agent_tokens, args.samples)
            )
            tokens = list(seeded.agent_tokens.values())
            # The HTTP stack alone under the same load generator: the yardstick that makes
            # figures from machines of different speed comparable. Before the claim runs: wrk
            # leaves their in-flight requests behind, which a short run would wait on.
            healthz = wrk(f"{served.base}/healthz", max(2.0, args.seconds)).requests_per_s
            runs = asyncio.run(claims(url, served.base, tokens, args.clients, args.seconds, folder))
            at_end = memory_mib(served.pid)
    return {
        "seed_s": seed_s,
        "ceilings": ceiling,
        "latency": latency,
        "claims": runs,
        "healthz_rps": healthz,
        "peak_rss_mib": at_end["VmHWM"],
        "peak_rss_at_ready_mib": at_ready["VmHWM"],
        "rss_at_end_mib": at_end["VmRSS"],
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every database and size; the results with the machine and the command."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (make wrk, or apt-get install wrk)")
    started = time.perf_counter()
    pg = asyncpg_dsn(args.postgres_admin_url) if "postgresql" in args.databases else None
    command = " ".join(["python -m bench.suite", *sys.argv[1:]])  # what `make bench` runs
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "command": command,
        "machine": report.machine(pg),
        "options": {
            k: getattr(args, k)
            for k in ("sizes", "clients", "seconds", "samples", "ceiling_seconds", "quick")
        },
        "databases": {},
    }
    folder = Path(tempfile.mkdtemp(prefix="crewboard-bench-"))
    try:
        for kind in args.databases:
            runs = results["databases"].setdefault(kind, {})
            for size in args.sizes:
                runs[str(size)] = run_one(kind, size, folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results["elapsed_s"] = time.perf_counter() - started
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run, log the tables, and (unless ``--no-write``) write the doc block and the JSON."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the migrations of every seed
    args = parse(argv)
    results = run(args)
    block = report.render(results)
    logger.info("finished in %.0f s\n%s", results["elapsed_s"], block)
    if not args.no_write:
        report.write_doc(block)
        logger.info("wrote %s and %s", report.DOC, report.write_json(results))
    return results


if __name__ == "__main__":
    main()
