"""Shared pieces of the benchmarks: a real server process, seeding, percentiles."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx


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


@contextlib.contextmanager
def server(database_url: str, env_extra: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``crewboard serve`` in its own process; yield its base URL."""
    port = free_port()
    env = {**os.environ, "CREWBOARD_DATABASE_URL": database_url, "CREWBOARD_LOG_LEVEL": "WARNING"}
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
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
