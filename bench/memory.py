"""The server's memory: resident set of a ``crewboard serve`` process at start and under load.

    .venv/bin/python -m bench.memory [--tasks 100000] [--databases sqlite postgresql]
        [--samples 200] [--seconds 5] [--env NAME=VALUE ...]

For each database: start a server on a fresh, empty database (it runs every migration) and
read its peak (``VmHWM``) once ready; then seed ``--tasks`` tasks (bench/seed.py, as the suite
does), start a server on it and read its peak and current RSS (``VmRSS``) once ready, after
the suite's sequential workloads (``--samples`` each, with the tracker render) and after a
``wrk`` claim run (64 clients, ``--seconds``; skipped without wrk). The figures are the
server's own, from ``/proc/<pid>/status``; docs/memory.md says what they were and why.
``--env`` passes settings (or e.g. ``MALLOC_ARENA_MAX``) to the server, to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.claims_wrk import wrk
from bench.common import POSTGRES_ADMIN_URL, fresh_database, memory_mib, serve
from bench.seed import seed
from bench.suite import AGENTS, BACKLOG
from bench.workloads import claims, latencies

logger = logging.getLogger("bench.memory")
STAGES = ("empty database, ready", "at ready", "after the workloads", "after the claim run")


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.memory",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument(
        "--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument("--samples", type=int, default=200, help="per sequential workload")
    parser.add_argument("--seconds", type=float, default=5.0, help="of the wrk claim run")
    parser.add_argument("--env", nargs="*", default=[], help="NAME=VALUE for the server")
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL)
    return parser.parse_args(argv)


def measure(kind: str, folder: Path, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """The server's memory at each stage on one database, in MiB."""
    env = {"CREWBOARD_JOBS_ENABLED": "false", **dict(item.split("=", 1) for item in args.env)}
    figures: dict[str, dict[str, float]] = {}
    empty = fresh_database(kind, folder, "memory-empty", args.postgres_admin_url)
    with empty as url, serve(url, env) as served:
        figures[STAGES[0]] = memory_mib(served.pid)
    with fresh_database(kind, folder, f"memory-{args.tasks}", args.postgres_admin_url) as url:
        logger.info("%s: seeding %d tasks", kind, args.tasks)
        seeded = asyncio.run(seed(url, args.tasks, AGENTS, messages=BACKLOG))
        with serve(url, env) as served:
            figures[STAGES[1]] = memory_mib(served.pid)
            logger.info("%s: the sequential workloads, %d samples each", kind, args.samples)
            asyncio.run(
                latencies(served.base, seeded.lead_token, seeded.agent_tokens, args.samples)
            )
            figures[STAGES[2]] = memory_mib(served.pid)
            if shutil.which("wrk") is None:
                logger.warning("wrk is not installed (make wrk): no claim run")
            else:
                wrk(f"{served.base}/healthz", 1.0)  # as in the suite, before the claims
                tokens = list(seeded.agent_tokens.values())
                asyncio.run(claims(url, served.base, tokens, [64], args.seconds, folder))
                figures[STAGES[3]] = memory_mib(served.pid)
    return figures


def render(results: dict[str, dict[str, dict[str, float]]], args: argparse.Namespace) -> str:
    """One markdown table: peak / current RSS per stage and database."""
    kinds = list(results)
    lines = [
        f"Server RSS MiB, peak (VmHWM) / current (VmRSS), {args.tasks:,} tasks"
        + (f", server env {' '.join(args.env)}" if args.env else ""),
        "",
        "| stage | " + " | ".join(kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for stage in STAGES:
        cells = []
        for kind in kinds:
            got: Any = results[kind].get(stage)
            cells.append(f"{got['VmHWM']:.0f} / {got['VmRSS']:.0f}" if got else "-")
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, dict[str, dict[str, float]]]:
    """Measure every database and log the table."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = parse(argv)
    folder = Path(tempfile.mkdtemp(prefix="crewboard-memory-"))
    try:
        results = {kind: measure(kind, folder, args) for kind in args.databases}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    logger.info("\n%s", render(results, args))
    return results


if __name__ == "__main__":
    main()
