"""The peers' MCP workload against crewboard, beside the peer's quoted figures (issue 18).

    .venv/bin/python -m bench.peers [--databases sqlite postgresql] [--quick] [--no-write]
        [--tasks 500] [--messages 500] [--lists 30]

The workload claude-code-teams-mcp (file-based) was measured with: 8 agents and a lead, the
official MCP client (streamable HTTP), one session each, against one ``crewboard serve`` per
database (fresh database, background jobs off), driven from this process:

1. create: the lead creates the tasks one after another with ``TaskCreate`` (p50 / p99);
2. claim: the 8 agents at once call ``TaskClaim`` (the most urgent, oldest ready task: with
   equal priorities, the lowest number) until none is left (claims/s over the phase). Double
   claims: tasks that two answers gave out, or whose owner in the database is not the agent
   the answer went to;
3. send: 9 senders at once (the lead and the agents) send the messages with ``SendMessage``,
   each to the others in turn (p50 / p99, sends/s over the phase);
4. list: the lead calls ``TaskList`` (its default page, 50 tasks) ``--lists`` times.

Beside each phase: the server's and this process's CPU per call. Logs the table and (unless
``--no-write``) rewrites the block of docs/benchmarks-peers.md and writes the raw figures to
artifacts/bench/. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mcp.client import ClientSession
from mcp_types import TextContent
from sqlalchemy import select

from bench import report
from bench.common import (
    asyncpg_dsn,
    bench_parser,
    cpu_seconds,
    fresh_database,
    mcp_session,
    parse_filled,
    percentile,
    serve,
    timed,
)
from bench.seed import seed
from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models.tasks import Task
from crewboard.services.core import unit_of_work

logger = logging.getLogger("bench.peers")
DOC = report.ROOT / "docs" / "benchmarks-peers.md"
AGENTS = 8  # claimers; agent-0 is the lead, agent-1 … agent-8 the agents
FULL = {"tasks": 500, "messages": 500, "lists": 30}
QUICK = {"tasks": 40, "messages": 45, "lists": 5}
# figure: (label, claude-code-teams-mcp as quoted in issue 18, crewboard when it was filed, target)
ROWS = {
    "doubles": (
        "double claims",
        "284 of 288 claimed tasks (run timed out)",
        "0",
        "0",
    ),
    "claims": ("claim phase, 8 agents (`TaskClaim`)", "10-15 claims/s", "80 claims/s", "≥ 150/s"),
    "create": (
        "task create p50 / p99 (`TaskCreate`)",
        "6.0 / 15.7 ms",
        "16.5 / 26.9 ms",
        "p50 < 6",
    ),
    "send": (
        "send, 9 concurrent senders p50 / p99 (`SendMessage`)",
        "12.9 / 265 ms, 54-57 sends/s",
        "77-90 / 135-200 ms, 31-40 sends/s",
        "≥ 170/s, p99 < 265",
    ),
    "list": ("task list p50 (`TaskList`)", "360-500 ms", "78-168 ms", "—"),
}


class ToolFailed(RuntimeError):
    """A tool call answered with an error the workload does not expect."""


async def call(session: ClientSession, tool: str, arguments: dict[str, Any]) -> Any:
    """One tool call's JSON answer; a tool error raises ``ToolFailed`` with its text."""
    result = await session.call_tool(tool, arguments, read_timeout_seconds=60)
    (block,) = result.content
    text = block.text if isinstance(block, TextContent) else str(block)
    if result.is_error:
        raise ToolFailed(text)
    return json.loads(text)


def latency(samples: list[float]) -> dict[str, float]:
    """p50 / p99 in ms of samples in seconds, and how many."""
    ms = [s * 1000 for s in samples]
    return {"calls": len(ms), "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99)}


async def costed(pid: int, calls: Callable[[], Awaitable[Any]]) -> tuple[Any, dict[str, float]]:
    """Run one phase; its result, wall seconds and the CPU seconds of the server and of this
    process (the client) it took."""
    server, client, started = cpu_seconds(pid), time.process_time(), time.perf_counter()
    result = await calls()
    return result, {
        "seconds": time.perf_counter() - started,
        "server_cpu_s": cpu_seconds(pid) - server,
        "client_cpu_s": time.process_time() - client,
    }


def _per_call(figures: dict[str, Any], cost: dict[str, float], calls: int) -> dict[str, Any]:
    per = max(1, calls)
    return figures | {
        "seconds": cost["seconds"],
        "server_cpu_ms": 1000 * cost["server_cpu_s"] / per,
        "client_cpu_ms": 1000 * cost["client_cpu_s"] / per,
    }


async def claim_all(agents: dict[str, ClientSession]) -> tuple[list[tuple[str, int]], list[float]]:
    """Every agent claims until nothing is ready; the (agent, task number) pairs the answers
    gave, and each claim call's duration."""
    told: list[tuple[str, int]] = []
    samples: list[float] = []

    async def agent(name: str, session: ClientSession) -> None:
        while True:
            started = time.perf_counter()
            try:
                task = await call(session, "TaskClaim", {})
            except ToolFailed as exc:
                if "[nothing-ready]" in str(exc):
                    return
                raise
            samples.append(time.perf_counter() - started)
            told.append((name, int(task["id"])))

    await asyncio.gather(*(agent(name, session) for name, session in agents.items()))
    return told, samples


async def owners(url: str) -> dict[int, str | None]:
    """Each task's owner as the database holds it (the bench project is the only one)."""
    database = Database(Settings(database_url=url))
    try:
        async with unit_of_work(database, write=False) as session:
            rows = (await session.execute(select(Task.number, Task.owner))).all()
    finally:
        await database.dispose()
    return {int(number): owner for number, owner in rows}


def double_claims(told: list[tuple[str, int]], owned: dict[int, str | None]) -> int:
    """Tasks given out by two answers, or given to an agent that does not own them."""
    seen: dict[int, str] = {}
    doubles: set[int] = set()
    for name, number in told:
        if number in seen or owned.get(number) != name:
            doubles.add(number)
        seen[number] = name
    return len(doubles)


async def send_all(senders: dict[str, ClientSession], count: int) -> list[float]:
    """``count`` direct messages from every sender at once (shares as equal as can be), each
    sender to the others in turn; each send's duration."""
    names = list(senders)
    samples: list[float] = []

    async def sender(i: int) -> None:
        session = senders[names[i]]
        for j in range(i, count, len(names)):
            to = names[(i + 1 + j % (len(names) - 1)) % len(names)]
            started = time.perf_counter()
            await call(session, "SendMessage", {"to": to, "message": f"m{j}", "summary": "bench"})
            samples.append(time.perf_counter() - started)

    await asyncio.gather(*(sender(i) for i in range(len(names))))
    return samples


async def workload(url: str, base: str, pid: int, tokens: dict[str, str], options: Any) -> Any:
    """The four phases against one running server; the figures of each."""
    async with contextlib.AsyncExitStack() as stack:
        sessions = {
            name: await stack.enter_async_context(mcp_session(base, token))
            for name, token in tokens.items()
        }
        lead_name, *agent_names = sessions
        lead = sessions[lead_name]

        async def create(i: int) -> None:
            subject = {"subject": f"peer task {i}", "description": "from the peers' workload"}
            await call(lead, "TaskCreate", subject | {"activeForm": "Working on it"})

        logger.info("  create: %d TaskCreate calls from the lead", options.tasks)
        samples, cost = await costed(pid, lambda: timed(create, options.tasks))
        results = {"create": _per_call(latency(samples), cost, options.tasks)}

        logger.info("  claim: %d agents call TaskClaim until none is ready", len(agent_names))
        agents = {name: sessions[name] for name in agent_names}
        (told, samples), cost = await costed(pid, lambda: claim_all(agents))
        owned = await owners(url)
        claimed = {
            "agents": len(agents),
            "told": len(told),
            "owned": sum(1 for owner in owned.values() if owner is not None),
            "doubles": double_claims(told, owned),
            "claims_s": len(told) / cost["seconds"],
        }
        results["claim"] = _per_call(latency(samples) | claimed, cost, len(told))

        logger.info("  send: %d messages from %d senders at once", options.messages, len(sessions))
        samples, cost = await costed(pid, lambda: send_all(sessions, options.messages))
        sent = {"senders": len(sessions), "sends_s": len(samples) / cost["seconds"]}
        results["send"] = _per_call(latency(samples) | sent, cost, len(samples))

        async def listing(_: int) -> None:
            await call(lead, "TaskList", {})

        logger.info("  list: %d TaskList calls from the lead", options.lists)
        samples, cost = await costed(pid, lambda: timed(listing, options.lists))
        results["list"] = _per_call(latency(samples), cost, options.lists)
    return results


def run_one(kind: str, folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    """The workload on a fresh database of ``kind``."""
    with fresh_database(kind, folder, "peers", options.postgres_admin_url) as url:
        logger.info("%s: seeding %d agents and the lead", kind, AGENTS)
        seeded = asyncio.run(seed(url, 0, AGENTS + 1))
        with serve(url, {"CREWBOARD_JOBS_ENABLED": "false"}) as served:
            logger.info("%s: the workload against %s", kind, served.base)
            figures: dict[str, Any] = asyncio.run(
                workload(url, served.base, served.pid, seeded.agent_tokens, options)
            )
    return figures


def _cells(run: dict[str, Any]) -> dict[str, tuple[str, bool | None]]:
    """Each row's figure for one database, and whether it meets the target (None: none)."""
    create, claim, send, listing = run["create"], run["claim"], run["send"], run["list"]
    return {
        "doubles": (f"{claim['doubles']} of {claim['told']}", claim["doubles"] == 0),
        "claims": (f"{claim['claims_s']:.0f} claims/s", claim["claims_s"] >= 150),
        "create": (f"{create['p50_ms']:.1f} / {create['p99_ms']:.1f} ms", create["p50_ms"] < 6),
        "send": (
            f"{send['p50_ms']:.1f} / {send['p99_ms']:.1f} ms, {send['sends_s']:.0f} sends/s",
            send["sends_s"] >= 170 and send["p99_ms"] < 265,
        ),
        "list": (f"{listing['p50_ms']:.1f} ms", None),
    }


def render(results: dict[str, Any]) -> str:
    """The generated block: the table, then the CPU per call."""
    m, o, runs = results["machine"], results["options"], results["databases"]
    pg = f", PostgreSQL {m['postgresql']}" if "postgresql" in m else ""
    dirty = " (with uncommitted changes)" if m["dirty"] else ""
    mark = {True: " ✓", False: " ✗", None: ""}
    cells = {kind: _cells(run) for kind, run in runs.items()}
    lines = [
        "## The peers' MCP workload (generated by `make bench`)",
        "",
        f"Machine: {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, "
        f"SQLite {m['sqlite']}{pg}. Date: {results['date']}. Commit: {m['commit']}{dirty}.",
        f"Command: `{results['command']}` ({o['tasks']} tasks, {o['messages']} messages, "
        f"{o['lists']} task lists; one run). ✓ / ✗: the issue's target met or not.",
        "",
        "| figure | claude-code-teams-mcp (quoted) | crewboard when issue 18 was filed | target | "
        + " | ".join(f"crewboard now, {kind}" for kind in runs)
        + " |",
        "|---|---|---|---|" + "---|" * len(runs),
    ]
    for key, (label, peer, filed, target) in ROWS.items():
        now = [f"{cells[kind][key][0]}{mark[cells[kind][key][1]]}" for kind in runs]
        lines.append(f"| {label} | {peer} | {filed} | {target} | " + " | ".join(now) + " |")
    lines += [
        "",
        "CPU per call, server / client (this process, the official MCP client), ms:",
        "",
        "| phase | " + " | ".join(runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for phase in ("create", "claim", "send", "list"):
        values = [
            f"{run[phase]['server_cpu_ms']:.1f} / {run[phase]['client_cpu_ms']:.1f}"
            for run in runs.values()
        ]
        lines.append(f"| {phase} | " + " | ".join(values) + " |")
    return "\n".join(lines) + "\n"


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The options; ``--quick`` replaces the counts not given."""
    parser = bench_parser("python -m bench.peers", __doc__, "a tiny run (~10 s), for trying it")
    parser.add_argument("--tasks", type=int, help="tasks created and claimed (default 500)")
    parser.add_argument("--messages", type=int, help="messages sent (default 500)")
    parser.add_argument("--lists", type=int, help="TaskList calls (default 30)")
    return parse_filled(parser, argv, QUICK, FULL)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run on every database, log the table, and (unless ``--no-write``) write it."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("httpx", "httpx2", "alembic", "mcp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = parse(argv)
    pg = asyncpg_dsn(args.postgres_admin_url) if "postgresql" in args.databases else None
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"),
        "command": " ".join(
            ["python -m bench.peers", *(argv if argv is not None else sys.argv[1:])]
        ),
        "machine": report.machine(pg),
        "options": {key: getattr(args, key) for key in ("tasks", "messages", "lists", "quick")},
        "databases": {},
    }
    folder = Path(tempfile.mkdtemp(prefix="crewboard-peers-"))
    try:
        for kind in args.databases:
            results["databases"][kind] = run_one(kind, folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    block = render(results)
    logger.info("the peers' MCP workload\n%s", block)
    if not args.no_write:
        report.write_doc(block, DOC)
        logger.info("wrote %s and %s", DOC, report.write_json(results, prefix="peers-"))
    return results


if __name__ == "__main__":
    main()
