"""REST and MCP side by side on one server, with ``/healthz`` as the yardstick (issue 18).

    .venv/bin/python -m bench.faces [--database sqlite|postgresql] [--seconds 5] [--rounds 2]

One ``crewboard serve`` process, driven by ``wrk`` (64 connections, the seeded agents'
tokens in turn): ``GET /healthz``, then for each operation the REST route and the MCP tool
(a plain ``tools/call`` as the official client sends it), alternated ``--rounds`` times so
that a busy moment of this shared machine hits both faces alike. Prints requests/s, the
server's CPU per request (from /proc), each face's share of the yardstick, and MCP's share of
REST's. Operations: claim the best ready task, create a task, send a direct message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.claims_wrk import LUA, wrk
from bench.common import POSTGRES_ADMIN_URL, cpu_seconds, fresh_database, serve
from bench.seed import SLUG, seed

logger = logging.getLogger("bench.faces")
API = f"/api/v1/projects/{SLUG}"
MCP_ACCEPT = ' ["Accept"] = "application/json, text/event-stream",'


def _tool(name: str, arguments: dict[str, object]) -> str:
    call = {"name": name, "arguments": arguments}
    return json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": call})


# operation -> (REST path, REST body, MCP tool call body)
OPERATIONS = {
    "claim": (f"{API}/tasks/claim", "{}", _tool("TaskClaim", {})),
    "create": (
        f"{API}/tasks",
        json.dumps({"title": "bench"}),
        _tool("TaskCreate", {"subject": "bench"}),
    ),
    "send": (
        f"{API}/messages",
        json.dumps({"to": "agent-1", "body": "hi", "summary": "bench"}),
        _tool("SendMessage", {"to": "agent-1", "message": "hi", "summary": "bench"}),
    ),
}


@dataclass(frozen=True)
class Figure:
    """One wrk run: requests/s, the server's CPU milliseconds per request, and the answers
    that were not successes (a run with any is reported, not hidden)."""

    rate: float
    cpu_ms: float
    failed: int = 0


def _script(folder: Path, tokens: list[str], body: str, mcp: bool) -> Path:
    lua = LUA.replace("{TOKENS}", "{" + ", ".join(f'"{t}"' for t in tokens) + "}")
    if mcp:
        lua = lua.replace(
            '["Content-Type"] = "application/json",',
            '["Content-Type"] = "application/json",' + MCP_ACCEPT,
        )
    lua = lua.replace("'{\"anywhere\": true}'", "[[" + body + "]]")
    # Successes only: any 2xx, and for MCP a result that is not a tool error.
    ok = "status >= 200 and status < 300"
    if mcp:
        ok += " and not string.find(body, '\"isError\":true', 1, true)"
    lua = lua.replace("if status == 200 then", f"if {ok} then")
    path = folder / f"{len(list(folder.iterdir()))}.lua"
    path.write_text(lua)
    return path


def _measure(pid: int, url: str, seconds: float, script: Path | None) -> Figure:
    before, started = cpu_seconds(pid), time.monotonic()
    run = wrk(url, seconds, script)
    spent, elapsed = cpu_seconds(pid) - before, time.monotonic() - started
    cpu_ms = 1000 * spent / max(1.0, run.requests_per_s * elapsed)
    failed = run.failed + (run.empty if script is not None else 0)
    if script is not None and failed:
        logger.warning("%s: %d of the answers were not successes", url, failed)
    return Figure(run.requests_per_s, cpu_ms, failed)


def measure(
    url: str, seconds: float, rounds: int, tasks: int = 50_000
) -> dict[str, dict[str, list[Figure]]]:
    """Every face of every operation, ``rounds`` times, against one server."""
    folder = Path(tempfile.mkdtemp(prefix="crewboard-faces-"))
    try:
        # Agents 0 and 2+ send to agent-1, whose inbox the runs fill: the limit is raised.
        seeded = asyncio.run(seed(url, tasks, 8))
        tokens = [t for name, t in seeded.agent_tokens.items() if name != "agent-1"]
        results: dict[str, dict[str, list[Figure]]] = {"healthz": {"": []}}
        with serve(url, {"CREWBOARD_JOBS_ENABLED": "false"}) as served:
            for _ in range(rounds):
                healthz = _measure(served.pid, f"{served.base}/healthz", seconds, None)
                results["healthz"][""].append(healthz)
                for name, (path, body, tool) in OPERATIONS.items():
                    faces = results.setdefault(name, {"REST": [], "MCP": []})
                    rest = _script(folder, tokens, body, mcp=False)
                    mcp = _script(folder, tokens, tool, mcp=True)
                    faces["REST"].append(_measure(served.pid, served.base + path, seconds, rest))
                    faces["MCP"].append(_measure(served.pid, f"{served.base}/mcp", seconds, mcp))
        return results
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def report(results: dict[str, dict[str, list[Figure]]]) -> list[str]:
    """The table: per operation and face, requests/s, CPU ms, share of the yardstick."""

    def best(figures: list[Figure]) -> Figure:
        return max(figures, key=lambda f: f.rate)

    yard = best(results["healthz"][""])
    lines = [
        f"yardstick GET /healthz: {yard.rate:,.0f} req/s, {yard.cpu_ms:.2f} ms CPU each",
        "| operation | REST req/s (CPU ms, share of /healthz) "
        "| MCP req/s (CPU ms, share of /healthz) | MCP/REST |",
        "|---|---|---|---|",
    ]
    for name in OPERATIONS:
        rest, mcp = best(results[name]["REST"]), best(results[name]["MCP"])
        lines.append(
            f"| {name} | {rest.rate:,.0f} ({rest.cpu_ms:.2f}, {rest.rate / yard.rate:.0%}) "
            f"| {mcp.rate:,.0f} ({mcp.cpu_ms:.2f}, {mcp.rate / yard.rate:.0%}) "
            f"| {mcp.rate / rest.rate:.0%} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=50_000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (make wrk, or apt-get install wrk)")
    folder = Path(tempfile.mkdtemp(prefix="crewboard-faces-db-"))
    try:
        with fresh_database(args.database, folder, "faces", POSTGRES_ADMIN_URL) as url:
            for line in report(measure(url, args.seconds, args.rounds, args.tasks)):
                logger.info("%s", line)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
