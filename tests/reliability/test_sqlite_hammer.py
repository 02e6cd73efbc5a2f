"""Eight OS processes on one SQLite file: a server, CLI clients, direct writers, MCP local.

No acknowledged write may be lost, no task claimed twice, the file must stay sound, and the
only failure anyone may see is a clear "busy" (503 ``busy`` with Retry-After, or one CLI
line with exit 1). A short busy timeout makes that path actually happen.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from crewboard.config import Settings
from crewboard.database import Database, migrate
from crewboard.models import Event
from crewboard.models.messages import Message
from crewboard.models.projects import Agent
from crewboard.models.tasks import Task
from crewboard.models.users import AuthSession
from crewboard.services.core import unit_of_work
from crewboard.services.tasks import Status, TaskChange, Tasks
from tests.reliability.load import (
    ROOT,
    Tally,
    bad_lines,
    integrity_check,
    require_backend,
    scale,
    serve,
)
from tests.support.backends import sqlite_url
from tests.support.cli import Result, cli_env, run_subprocess
from tests.support.factory import Factory
from tests.support.mcp import stdio_agent
from tests.support.world import SLUG, World, build_world

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.xdist_group("heavy")]
logger = logging.getLogger(__name__)

AGENTS = ("adder", "claimer", "sender", "inbox", "worker", "mcp")
BUSY_MS = "250"  # short, so that lock waits do run out and "busy" is exercised
OPS = scale(3, 15)  # commands per CLI lane (each one a process)
POOL = scale(40, 300)  # ready tasks for the claimers
RETRIES = 20  # a busy operation is retried this often at most
DEADLINE = 400.0
CLEAR_BUSY = ("[busy]", " is busy: another process held its write lock")


def _classify(tally: Tally, result: Result, what: str, refusals: tuple[str, ...] = ()) -> str:
    """``ok``, ``busy``, ``refused`` (a correct no), or ``unexpected`` (a fault, recorded)."""
    if result.code == 0:
        return "ok"
    lines = result.stderr_lines
    line = lines[0] if len(lines) == 1 else ""
    clean = line.startswith("crewboard: error: ") and result.stdout == ""
    if clean and result.code == 1 and any(mark in line for mark in CLEAR_BUSY):
        tally.busy += 1
        return "busy"
    if clean and any(f"[{code}]" in line for code in refusals):
        tally.refuse(next(code for code in refusals if f"[{code}]" in line))
        return "refused"
    tally.unexpected.append(f"{what}: exit {result.code}: {result.stderr[-500:]}")
    return "unexpected"


async def _run(
    tally: Tally, env: dict[str, str], what: str, *args: str, refusals: tuple[str, ...] = ()
) -> Result | None:
    """One command, retried while busy; the result if it succeeded."""
    for _ in range(RETRIES):
        result = await run_subprocess(env, *args, seconds=120)
        verdict = _classify(tally, result, what, refusals)
        if verdict == "ok":
            return result
        if verdict != "busy":
            return None
        await asyncio.sleep(0.2)
    return None


async def _cli_lanes(world: World, url: str, base: str, tmp: Path) -> dict[str, Any]:
    """The four CLI lanes, each one process at a time, all at once."""
    tally = Tally()
    acked: dict[str, Any] = {"adds": {}, "claims": [], "done": [], "messages": {}, "tokens": []}

    def client(agent: str) -> dict[str, str]:
        return cli_env(
            url,
            CREWBOARD_URL=base,
            CREWBOARD_TOKEN=world.tokens[agent],
            CREWBOARD_CONFIG_DIR=str(tmp),
        )

    async def adds() -> None:
        for i in range(OPS):
            title = f"add {i}"
            if r := await _run(
                tally, client("adder"), "add", "task", "add", title, "--tracker", "adder", "--json"
            ):
                acked["adds"][json.loads(r.stdout)["number"]] = title

    async def claims() -> None:
        for _ in range(max(1, OPS // 2)):  # two commands each
            r = await _run(
                tally,
                client("claimer"),
                "claim",
                "task",
                "claim",
                "--anywhere",
                "--json",
                refusals=("nothing-ready", "already-claimed"),
            )
            if r is None:
                continue
            number = json.loads(r.stdout)["number"]
            acked["claims"].append(number)
            if await _run(
                tally,
                client("claimer"),
                "done",
                "task",
                "done",
                str(number),
                "--outcome",
                "done",
                "--json",
            ):
                acked["done"].append(number)

    async def sends() -> None:
        for i in range(OPS):
            body = f"hello {i}"
            if r := await _run(
                tally, client("sender"), "send", "msg", "send", "inbox", body, "--json"
            ):
                acked["messages"][json.loads(r.stdout)["id"]] = body

    async def admin() -> None:
        env = cli_env(url, CREWBOARD_SQLITE_BUSY_TIMEOUT_MS=BUSY_MS, CREWBOARD_CONFIG_DIR=str(tmp))
        for i in range(max(1, OPS // 2)):  # two commands each
            name = f"extra-{i}"
            if not await _run(tally, env, "agent add", "agent", "add", SLUG, name):
                continue
            if await _run(
                tally,
                env,
                "token create",
                "token",
                "create",
                "--user",
                "lead@example.com",
                "--project",
                SLUG,
                "--agent",
                name,
            ):
                acked["tokens"].append(name)

    await asyncio.gather(adds(), claims(), sends(), admin())
    acked["tally"] = tally
    return acked


async def _mcp_lane(url: str, tmp: Path, counters: list[int], stop: asyncio.Event) -> Tally:
    """``crewboard mcp`` local on the file, driven by the official MCP client: increments."""
    tally = Tally()
    args = ["--database-url", url, "--project", SLUG, "--agent", "mcp"]
    env = cli_env(url, CREWBOARD_SQLITE_BUSY_TIMEOUT_MS=BUSY_MS, CREWBOARD_CONFIG_DIR=str(tmp))
    async with stdio_agent(args, env) as agent:
        for step in range(20000):
            if stop.is_set():
                break
            await asyncio.sleep(0.02)  # a breath for the other processes (two cores)
            number = counters[step % len(counters)]
            got = await agent.call("TaskGet", taskId=str(number))
            text = got.content[0].text  # type: ignore[union-attr]
            if got.is_error:
                _mcp_failure(tally, text)
                continue
            seen = json.loads(text)
            value = int(seen["metadata"].get("n", 0))
            done = await agent.call(
                "TaskUpdate", taskId=str(number), metadata={"n": value + 1}, version=seen["version"]
            )
            if not done.is_error:
                tally.ack("increment")
            else:
                _mcp_failure(tally, done.content[0].text)  # type: ignore[union-attr]
    return tally


def _mcp_failure(tally: Tally, text: str) -> None:
    if text.startswith("error [busy]: ") and "\n" not in text:
        tally.busy += 1
    elif text.startswith("error [version-conflict]: "):
        tally.refuse("version-conflict")
    else:
        tally.unexpected.append(f"mcp: {text[:500]}")


async def _worker(
    mode: str, url: str, token: str, counters: list[int], *extra: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.reliability.hammer_worker",
        mode,
        url,
        token,
        ",".join(map(str, counters)),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=cli_env(url, CREWBOARD_SQLITE_BUSY_TIMEOUT_MS=BUSY_MS),
        cwd=str(ROOT),
    )


async def _collect(proc: asyncio.subprocess.Process, tally: Tally) -> list[int]:
    """Stop a worker, add its tally; its claims."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode(errors="replace")[-3000:]
    assert bad_lines(err.decode(errors="replace")) == []
    report = json.loads(out)
    tally.merge(report)
    return [int(n) for n in report["claims"]] if "claims" in report else []


async def _prepare(tmp_path: Path) -> tuple[Settings, Database, World, dict[int, int]]:
    """A fresh file: the crew, two counter tasks (number -> version) and a pool to claim."""
    settings = Settings(database_url=sqlite_url(tmp_path), jobs_enabled=False)
    database = Database(settings)
    await migrate(database)
    world = await build_world(Factory(database, settings), database, settings, agents=AGENTS)
    counters: dict[int, int] = {}
    for i in range(2):
        task = await world.task(f"counter {i}", tracker="mcp")
        # Blocked: no claimer takes a counter, yet its agent (mcp) may still update it.
        change = TaskChange(status=Status.BLOCKED, blocked_reason="a shared counter")
        async with unit_of_work(database, write=True) as session:
            done = await Tasks(session, settings).update(world.lead, SLUG, task.number, change)
        counters[task.number] = done.task.version
    for i in range(POOL):
        await world.task(f"pool {i}")
    return settings, database, world, counters


async def _check(
    database: Database,
    acked: dict[str, Any],
    claims: list[int],
    counters: dict[int, int],
    increments: int,
) -> None:
    """Every acknowledged write is there; no increment lost; no task claimed twice."""
    async with unit_of_work(database, write=False) as session:
        tasks = {t.number: t for t in (await session.scalars(select(Task))).all()}
        claimed = Counter(
            (await session.scalars(select(Event.subject).where(Event.kind == "task.claimed"))).all()
        )
        sent = dict(
            (
                await session.execute(
                    select(Message.id, Message.body).where(Message.sender == "sender")
                )
            ).all()
        )
        roster = set((await session.scalars(select(Agent.name))).all())
        extra = AuthSession.agent_name.like("extra-%")
        tokens = Counter((await session.scalars(select(AuthSession.agent_name).where(extra))).all())
        adds = await session.scalar(
            select(func.count()).select_from(Task).where(Task.title.like("add %"))
        )
    assert sum(int(tasks[n].meta.get("n", 0)) for n in counters) == increments
    for number, version in counters.items():
        # One version step per increment: nothing else wrote, nothing was merged silently.
        assert tasks[number].version - version == tasks[number].meta.get("n", 0)
    assert adds == len(acked["adds"])
    for number, title in acked["adds"].items():
        assert tasks[number].title == title
    assert len(claims) == len(set(claims)), "a task acknowledged to two claimers"
    assert [s for s, count in claimed.items() if count > 1] == []
    assert len(claimed) == len(claims)
    for number in acked["claims"]:
        assert tasks[number].owner == "claimer"
    for number in acked["done"]:
        assert tasks[number].status == "completed"
    assert sent == acked["messages"]
    assert set(acked["tokens"]) <= roster
    assert all(tokens[name] == 1 for name in acked["tokens"]), tokens


async def test_eight_processes_on_one_sqlite_file(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    require_backend("sqlite")
    settings, database, world, versions = await _prepare(tmp_path)
    counters = list(versions)
    url = settings.database_url
    log = tmp_path / "serve.log"
    tally = Tally()
    procs: list[asyncio.subprocess.Process] = []
    try:
        async with serve(url, log, CREWBOARD_SQLITE_BUSY_TIMEOUT_MS=BUSY_MS) as server:
            await server.wait_healthy()
            procs.append(
                await _worker("direct", url, world.lead_token, counters, world.tokens["worker"])
            )
            procs.append(await _worker("http", server.base_url, world.lead_token, counters))
            stop = asyncio.Event()
            mcp = asyncio.create_task(_mcp_lane(url, tmp_path, counters, stop))
            try:
                acked = await asyncio.wait_for(
                    _cli_lanes(world, url, server.base_url, tmp_path), DEADLINE
                )
            finally:
                stop.set()
            tally.merge_tally(await asyncio.wait_for(mcp, 120))
            claims = list(acked["claims"])
            for proc in procs:
                claims.extend(await _collect(proc, tally))
        tally.merge_tally(acked["tally"])
        assert integrity_check(url) == "ok"
        await _check(database, acked, claims, versions, tally.acked.get("increment", 0))
        assert tally.unexpected == []
        server_log = log.read_text(errors="replace")
        assert bad_lines(server_log) == []
        server_busy = server_log.count("database busy")
        # ``crewboard mcp`` writes its log to the inherited stderr (captured by capfd).
        assert bad_lines(capfd.readouterr().err) == []
        logger.warning(
            "8 processes on one SQLite file: acknowledged %s (CLI: %d adds, %d claims, %d "
            "completions, %d messages, %d agents+tokens); refused %s; busy seen by clients %d "
            "(server logged %d); doubles 0; integrity ok",
            tally.acked,
            len(acked["adds"]),
            len(acked["claims"]),
            len(acked["done"]),
            len(acked["messages"]),
            len(acked["tokens"]),
            tally.refused,
            tally.busy,
            server_busy,
        )
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await database.dispose()
