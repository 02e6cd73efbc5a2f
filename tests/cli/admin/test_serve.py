"""``crewboard serve`` and ``crewboard migrate`` as real processes."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from crewboard.config import Settings
from crewboard.database import Database, current_revision, head_revision
from crewboard.services.accounts import UserService
from crewboard.services.core import Actor, unit_of_work
from tests.cli.conftest import Invoke
from tests.support.backends import sqlite_url
from tests.support.cli import cli_env, run_subprocess
from tests.support.factory import Factory

pytestmark = pytest.mark.e2e  # `crewboard serve` and `migrate` as processes

SECRET = re.compile(r"\bcbsetup_[A-Za-z0-9_-]+")
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A ``crewboard serve`` child process whose stderr is read line by line as it comes."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc = proc
        self.base_url = f"http://127.0.0.1:{port}"
        self.lines: list[str] = []
        self._new_line = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stderr is not None
        async for raw in self.proc.stderr:
            self.lines.append(raw.decode(errors="replace").rstrip("\n"))
            self._new_line.set()
        self._new_line.set()

    @property
    def stderr(self) -> str:
        return "\n".join(self.lines)

    async def wait_for_line(self, pattern: re.Pattern[str], seconds: float) -> re.Match[str]:
        """The first stderr match of ``pattern``; fails after ``seconds`` or at process exit."""
        async with asyncio.timeout(seconds):
            while True:
                for line in self.lines:
                    if found := pattern.search(line):
                        return found
                if self._reader.done():
                    raise AssertionError(f"serve ended without {pattern.pattern}:\n{self.stderr}")
                self._new_line.clear()
                await self._new_line.wait()

    async def wait_until_healthy(self, http: httpx.AsyncClient) -> None:
        async with asyncio.timeout(STARTUP_TIMEOUT):
            while True:
                if self.proc.returncode is not None:
                    raise AssertionError(f"serve exited early:\n{self.stderr}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)

    async def stop(self, sig: signal.Signals) -> int:
        """Send ``sig`` and wait for the exit code."""
        self.proc.send_signal(sig)
        returncode = await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT)
        await asyncio.wait_for(self._reader, STOP_TIMEOUT)
        return returncode


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Server]:
    """Start ``crewboard serve`` on a free port; always killed at the end, however it went."""
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crewboard",
        "serve",
        "--port",
        str(port),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env=cli_env(settings.database_url, CREWBOARD_LOG_LEVEL="INFO"),
    )
    server = Server(proc, port)
    try:
        yield server
    finally:
        if proc.returncode is None:
            proc.kill()
            await asyncio.wait_for(proc.wait(), STOP_TIMEOUT)
        server._reader.cancel()


async def test_serve_prints_setup_secret_on_empty_instance(
    database: Database, settings: Settings
) -> None:
    async with serving(settings) as server:
        secret = (await server.wait_for_line(SECRET, STARTUP_TIMEOUT)).group(0)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            await server.wait_until_healthy(http)
            ready = await http.get("/readyz")
            assert ready.status_code == 200
            assert ready.json()["revision"] == head_revision()

            body = {"setup_secret": secret, "email": "First@Example.com", "password": "pw-12345678"}
            created = await http.post("/api/v1/auth/setup", json=body)
            assert created.status_code == 201, created.text
            again = await http.post("/api/v1/auth/setup", json=body | {"email": "b@example.com"})
            assert again.status_code == 401, again.text

        assert await server.stop(signal.SIGTERM) == 0, server.stderr

    async with unit_of_work(database, write=False) as session:
        users = (await UserService(session).list(Actor.system())).items
    assert [(u.email, u.is_admin) for u in users] == [("first@example.com", True)]
    # The secret is console output for the operator, never a log record.
    secret_lines = [line for line in server.lines if secret in line]
    assert secret_lines
    assert all(" INFO " not in line for line in secret_lines)
    assert "POST" in server.stderr
    assert "/api/v1/auth/setup" in server.stderr
    assert "crewboard user create EMAIL --admin --password-stdin" in server.stderr
    assert "Traceback" not in server.stderr


async def test_serve_with_users_prints_no_secret_and_stops_on_sigint(
    factory: Factory, settings: Settings
) -> None:
    await factory.user("root@example.com", admin=True)
    async with serving(settings) as server:
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10) as http:
            await server.wait_until_healthy(http)
        assert await server.stop(signal.SIGINT) == 0, server.stderr
    assert not SECRET.search(server.stderr)
    assert "Traceback" not in server.stderr


async def test_migrate_is_idempotent(cli_process: Invoke, database: Database) -> None:
    result = await cli_process("migrate")
    assert (result.code, result.stdout) == (0, f"{head_revision()}\n"), result
    assert await current_revision(database) == head_revision()


async def test_migrate_a_new_database(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    result = await run_subprocess(cli_env(url), "migrate")
    assert (result.code, result.stdout) == (0, f"{head_revision()}\n"), result
    database = Database(Settings(database_url=url))
    try:
        assert await current_revision(database) == head_revision()
    finally:
        await database.dispose()


async def test_serve_on_a_busy_port_fails_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = await run_subprocess(
            cli_env(sqlite_url(tmp_path)), "serve", "--port", str(port), seconds=STARTUP_TIMEOUT
        )
    assert result.code == 1, result
    assert result.stderr_lines[-1].startswith(f"crewboard: error: the server on 127.0.0.1:{port}")
    assert "address already in use" in result.stderr
    assert "Traceback" not in result.stderr
