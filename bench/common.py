"""Shared pieces of the benchmarks: a real server process, seeding, percentiles."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import httpx2
from mcp.client import ClientSession
from mcp.client.streamable_http import streamable_http_client


def bench_parser(prog: str, description: str | None, quick: str) -> argparse.ArgumentParser:
    """A parser with the options the ``make bench`` scripts share: ``--databases``,
    ``--quick`` (``quick`` is its help), ``--no-write`` and ``--postgres-admin-url``."""
    parser = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--databases", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"]
    )
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--no-write", action="store_true", help="log the tables; write nothing")
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL)
    return parser


def parse_filled(
    parser: argparse.ArgumentParser,
    argv: list[str] | None,
    quick: Mapping[str, object],
    full: Mapping[str, object],
) -> argparse.Namespace:
    """The options; those not given take their value from ``quick`` with ``--quick``, else
    from ``full``."""
    args = parser.parse_args(argv)
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) of samples, in the samples' unit."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def summary_ms(samples: list[float]) -> str:
    """``p50 / p99`` in milliseconds from samples in seconds."""
    ms = [s * 1000 for s in samples]
    return f"{percentile(ms, 50):.1f} / {percentile(ms, 99):.1f}"


@dataclass(frozen=True)
class Served:
    """A running server: its base URL and process id."""

    base: str
    pid: int


@contextlib.contextmanager
def serve(database_url: str, env_extra: dict[str, str] | None = None) -> Iterator[Served]:
    """Run ``crewboard serve`` in its own process; yield its URL and pid."""
    port = free_port()
    env = {**os.environ, "CREWBOARD_DATABASE_URL": database_url, "CREWBOARD_LOG_LEVEL": "WARNING"}
    # The benchmarks measure the engine, not the per-credential budgets (edge/rate.py).
    env |= {"CREWBOARD_WRITES_PER_MINUTE": "1000000", "CREWBOARD_WRITES_BURST": "1000000"}
    env |= {"CREWBOARD_MESSAGES_PER_MINUTE": "1000000", "CREWBOARD_INBOX_MAX_UNREAD": "10000000"}
    env.update(env_extra or {})
    proc = subprocess.Popen(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "crewboard", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
                )
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise RuntimeError("server did not become ready in 60 s")
        yield Served(base, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def server(database_url: str, env_extra: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``crewboard serve`` in its own process; yield its base URL."""
    with serve(database_url, env_extra) as served:
        yield served.base


def cpu_seconds(pid: int) -> float:
    """The user + system CPU seconds process ``pid`` has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mib(pid: int) -> dict[str, float]:
    """The process's peak (``VmHWM``) and current (``VmRSS``) resident set in MiB (Linux)."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return {key: int(fields[key].split()[0]) / 1024 for key in ("VmHWM", "VmRSS")}


@contextlib.asynccontextmanager
async def mcp_session(base: str, token: str) -> AsyncIterator[ClientSession]:
    """The official MCP client over streamable HTTP at ``base/mcp`` as an agent, initialised."""
    async with (
        httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}, timeout=60) as client,
        streamable_http_client(f"{base}/mcp", http_client=client) as (read, write),
        ClientSession(read, write, read_timeout_seconds=60) as session,
    ):
        await session.initialize()
        yield session


@contextlib.asynccontextmanager
async def http(base: str, token: str, connections: int = 100) -> AsyncIterator[httpx.AsyncClient]:
    """A keep-alive client with a bearer token."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(
        base_url=base, headers={"authorization": f"Bearer {token}"}, limits=limits, timeout=60
    ) as client:
        yield client


async def timed(coro_factory: object, count: int) -> list[float]:
    """Run ``await coro_factory(i)`` ``count`` times sequentially; the durations in seconds."""
    samples: list[float] = []
    for i in range(count):
        started = time.perf_counter()
        await coro_factory(i)  # type: ignore[operator]
        samples.append(time.perf_counter() - started)
    return samples


def tmp_sqlite(folder: Path, name: str) -> str:
    """A fresh SQLite URL in ``folder``."""
    path = folder / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite+aiosqlite:///{path}"


def run(coro: object) -> object:
    """asyncio.run with a type the scripts can share."""
    return asyncio.run(coro)  # type: ignore[arg-type]


POSTGRES_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


async def create_postgres_database(admin_url: str, name: str) -> str:
    """Create database ``name`` (generated by the caller from hex digits); its URL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url)
    conn = await asyncpg.connect(admin.set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return admin.set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(admin_url: str, name: str) -> None:
    """Drop a database made by ``create_postgres_database``."""
    import asyncpg
    from sqlalchemy.engine import make_url

    admin = make_url(admin_url)
    conn = await asyncpg.connect(admin.set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL ``url`` as a plain DSN for asyncpg."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def clone_postgres_database(admin_url: str, source: str, name: str) -> str:
    """A copy ``name`` of database ``source`` (both generated names; nobody may be connected
    to ``source``); its URL."""
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    finally:
        await conn.close()
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@contextlib.contextmanager
def fresh_database(kind: str, folder: Path, label: str, admin_url: str) -> Iterator[str]:
    """A fresh, empty database for one run (``kind``: sqlite or postgresql); its URL. The
    SQLite file goes in ``folder``; a PostgreSQL database is created and dropped afterwards."""
    if kind == "sqlite":
        yield tmp_sqlite(folder, label)
        return
    name = f"crewboard_bench_{uuid.uuid4().hex[:8]}"
    url = asyncio.run(create_postgres_database(admin_url, name))
    try:
        yield url
    finally:
        asyncio.run(drop_postgres_database(admin_url, name))
