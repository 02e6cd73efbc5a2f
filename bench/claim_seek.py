"""What a claim's own statements cost as the queue's head is claimed (SQLite, no server).

    .venv/bin/python -m bench.claim_seek [--tasks 50000] [--claims 5000] [--block 1000]

Seeds a project (``bench.seed``: 5 % of the tasks wait on another, and claimed tasks stay in
progress, so their dependants keep waiting), then claims through the claim-next statement of
the default scope (one's tracker or shared), compiled as the server compiles it, straight on
sqlite3 in one transaction. For each block of claims it prints the microseconds of the
candidate seek alone and of the whole claim ``UPDATE … RETURNING``. Before migration 0012 the
seek tested every blocked task ahead of the first ready one, so both figures grew with every
block (docs/performance.md, "Third part").
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.dialects import sqlite as sqlite_dialect

from bench.common import tmp_sqlite
from bench.seed import seed
from crewboard.database.statements import Compiled, compile_for
from crewboard.models import utcnow
from crewboard.services.tasks.claims import _candidate, _next_statements, _Where

logger = logging.getLogger("bench.claim_seek")


def _arguments(compiled: Compiled, values: dict[str, Any]) -> list[Any]:
    return compiled.arguments({**compiled.fixed, **values})


def measure(path: str, claims: int, block: int) -> list[tuple[int, float, float]]:
    """(claims so far, µs per seek, µs per claim) for each block of claims."""
    dialect = sqlite_dialect.dialect()
    take = compile_for(_next_statements(_Where.MINE, False).statement, dialect)
    seek = compile_for(_candidate(_Where.MINE, lock=False), dialect)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        (project,) = connection.execute("SELECT id FROM projects").fetchone()
        now = utcnow()
        connection.execute("BEGIN IMMEDIATE")
        rows: list[tuple[int, float, float]] = []
        done = 0
        while done < claims:
            probes = min(block, 300)
            started = time.perf_counter()
            for i in range(probes):
                values = {"p_project": project, "p_me": f"agent-{i % 8}"}
                connection.execute(seek.sql, _arguments(seek, values)).fetchall()
            seeking = (time.perf_counter() - started) / probes
            started = time.perf_counter()
            taken = 0
            for i in range(block):
                values = {"p_project": project, "p_me": f"agent-{i % 8}"}
                values |= {"p_now": now, "p_lease": now}
                taken += len(connection.execute(take.sql, _arguments(take, values)).fetchall())
            if taken != block:
                raise RuntimeError(f"{block - taken} of {block} claims found nothing: seed more")
            claiming = (time.perf_counter() - started) / block
            done += block
            rows.append((done, seeking * 1e6, claiming * 1e6))
        connection.execute("ROLLBACK")
        return rows
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> list[tuple[int, float, float]]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--claims", type=int, default=5_000)
    parser.add_argument("--block", type=int, default=1_000)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder = Path(tempfile.mkdtemp(prefix="crewboard-claim-seek-"))
    try:
        url = tmp_sqlite(folder, "seek")
        asyncio.run(seed(url, args.tasks, 8))
        rows = measure(url.split("///", 1)[1], args.claims, args.block)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    logger.info("| claims so far | seek µs | claim UPDATE µs |")
    logger.info("|---:|---:|---:|")
    for done, seeking, claiming in rows:
        logger.info("| %s | %.1f | %.1f |", f"{done:,}", seeking, claiming)
    return rows


if __name__ == "__main__":
    main()
