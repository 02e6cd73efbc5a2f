"""Helpers of the fault tests: the run's scale, a ``crewboard serve`` process, log checks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.support.cli import cli_env

logger = logging.getLogger(__name__)

LONG = os.environ.get("CREWBOARD_RELIABILITY", "") == "long"
# The same selection as tests/conftest.py, for the tests that make their own database.
BACKENDS = (
    os.environ.get("CREWBOARD_TEST_BACKENDS", "sqlite,postgresql").replace(" ", "").split(",")
)
ROOT = Path(__file__).resolve().parents[2]  # where ``python -m tests...`` finds the package
STARTUP_SECONDS = 90.0  # generous: two cores shared with four other test runs
STOP_SECONDS = 20.0
# Lines that must never appear in a server's log or a client's stderr.
BAD_LINE = re.compile(r"Traceback|malformed|unhandled error|internal error|disk image", re.I)


def scale(short: int, long: int) -> int:
    """``short`` in the normal suite, ``long`` under ``CREWBOARD_RELIABILITY=long``."""
    return long if LONG else short


def require_backend(name: str) -> None:
    """Skip a test of one backend when the run leaves that backend out."""
    if name not in BACKENDS:
        pytest.skip(f"{name} is not in CREWBOARD_TEST_BACKENDS")


def free_port() -> int:
    """A 127.0.0.1 port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def sqlite_file(database_url: str) -> Path:
    """The file behind a SQLite URL."""
    name = make_url(database_url).database
    assert name, database_url
    return Path(name)


def integrity_check(database_url: str) -> str:
    """``PRAGMA integrity_check`` of a SQLite file, on a connection of its own."""
    conn = sqlite3.connect(sqlite_file(database_url), timeout=30)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return "; ".join(str(row[0]) for row in rows)


def bad_lines(text: str) -> list[str]:
    """The lines of a log or stderr that show a crash, corruption or a 500."""
    return [line for line in text.splitlines() if BAD_LINE.search(line)]


@dataclass
class ServeProcess:
    """One ``crewboard serve`` child process; its stderr goes to a file (no pipe to fill)."""

    proc: asyncio.subprocess.Process
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def wait_healthy(self) -> None:
        """Until ``/readyz`` answers 200 (schema current); fails if the process ends."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5) as http:
            async with asyncio.timeout(STARTUP_SECONDS):
                while True:
                    if self.proc.returncode is not None:
                        raise AssertionError(f"serve exited early:\n{self.log()[-4000:]}")
                    with contextlib.suppress(httpx.TransportError):
                        if (await http.get("/readyz")).status_code == 200:
                            return
                    await asyncio.sleep(0.1)

    async def kill9(self) -> None:
        """SIGKILL: no shutdown code runs, in-flight requests die with the process."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(self.proc.wait(), STOP_SECONDS)


@contextlib.asynccontextmanager
async def serve(database_url: str, log_path: Path, **env: str) -> AsyncIterator[ServeProcess]:
    """Start ``crewboard serve`` on a free port; it is always killed at the end."""
    port = free_port()
    extra = {"CREWBOARD_LOG_LEVEL": "WARNING", **env}
    with log_path.open("ab") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "crewboard",
            "serve",
            "--port",
            str(port),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=cli_env(database_url, **extra),
        )
    server = ServeProcess(proc, port, log_path)
    try:
        yield server
    finally:
        await server.kill9()


@dataclass
class Tally:
    """Acknowledged writes and refusals seen by clients, and every failure not expected."""

    acked: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    busy: int = 0
    unexpected: list[str] = field(default_factory=list)

    def ack(self, kind: str) -> None:
        self.acked[kind] = self.acked.get(kind, 0) + 1

    def refuse(self, code: str) -> None:
        self.refused[code] = self.refused.get(code, 0) + 1

    def merge(self, other: dict[str, object]) -> None:
        """Add a worker process's JSON report."""
        for kind, n in dict(other.get("acked", {})).items():  # type: ignore[call-overload]
            self.acked[kind] = self.acked.get(kind, 0) + int(n)
        for code, n in dict(other.get("refused", {})).items():  # type: ignore[call-overload]
            self.refused[code] = self.refused.get(code, 0) + int(n)
        self.busy += int(other.get("busy", 0))  # type: ignore[call-overload]
        self.unexpected.extend(list(other.get("unexpected", [])))  # type: ignore[call-overload]

    def merge_tally(self, other: Tally) -> None:
        """Add another tally of this process."""
        self.merge(
            {
                "acked": other.acked,
                "refused": other.refused,
                "busy": other.busy,
                "unexpected": other.unexpected,
            }
        )


def problem_code(response: httpx.Response) -> str:
    """The code at the end of a problem response's ``type`` ("" when it is not one)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    kind = body.get("type", "") if isinstance(body, dict) else ""
    return str(kind).rsplit(":", 1)[-1]  # urn:crewboard:problem:CODE


def busy_response(response: httpx.Response) -> bool:
    """A well-formed "busy": 503, problem type ``busy``, with ``Retry-After``."""
    return (
        response.status_code == 503
        and problem_code(response) == "busy"
        and bool(response.headers.get("retry-after"))
    )
