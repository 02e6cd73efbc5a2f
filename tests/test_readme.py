"""The README pasted in order, line by line, on a fresh copy in a fresh HOME; then the stdio
MCP configuration of docs/agents.md, spawned by the official MCP client as Claude Code would.

The copy holds what a clone holds (``git ls-files``); ``make run`` sets it up and serves as
the README says. The one change to the pasted lines is the port (``8765`` → a free one), so
a server already running on this machine is never touched. Lines that run the developer's
own loops (``make test`` and friends, which CI itself runs) are left out, each named with
its reason in ``NOT_PASTED``; a README line that stops existing fails the test, so the list
cannot silently grow stale.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.mcp import stdio_command

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("heavy")]

ROOT = Path(__file__).resolve().parents[1]
README_PORT = "127.0.0.1:8765"
SETUP_SECONDS = 600.0  # make run creates .venv and installs crewboard first
NOT_PASTED = {
    "make test": "the whole suite, which this test is part of (CI runs it)",
    "make test-fast": "the inner loop of the same suite",
    "make bench": "the full benchmark (about ten minutes)",
    'make bench BENCH_ARGS="--quick --no-write"': "a benchmark run; test_bench covers it",
    "make reliability": "the long fault runs",
    "make fuzz": "the long fuzz runs",
}
SERVER_LINE = "make run"


def shell_lines(markdown: str) -> list[str]:
    """The commands of every ```sh block, in order, with continued lines joined."""
    lines: list[str] = []
    for block in re.findall(r"^```sh\n(.*?)^```", markdown, flags=re.S | re.M):
        pending = ""
        for raw in block.splitlines():
            pending += raw
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
                continue
            if pending.strip():
                lines.append(pending)
            pending = ""
    return lines


def command_of(line: str) -> str:
    """A line without its trailing comment (a ``#`` after two spaces, as the README writes)."""
    return re.split(r"\s{2,}#", line, maxsplit=1)[0].strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _fresh_copy(target: Path) -> None:
    """What a fresh clone of this working tree holds (tracked and new, never ignored files)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _environment(home: Path) -> dict[str, str]:
    """A new user's shell: the system PATH (no .venv of ours), a fresh HOME, pip's settings."""
    pip = [k for k in os.environ if k.startswith("PIP_")]
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", *pip)
    env = {k: os.environ[k] for k in keep if k in os.environ}
    venv_bin = str(ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env["HOME"] = str(home)
    # The user's pip cache, so the fresh HOME does not download every wheel again.
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    return env


@pytest.fixture
def pasted(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str], str]]:
    """A fresh copy serving through ``make run`` (its folder, the shell's env, the base URL)."""
    repo, home = tmp_path / "crewboard", tmp_path / "home"
    repo.mkdir()
    home.mkdir()
    _fresh_copy(repo)
    env = _environment(home)
    port = _free_port()
    log = (tmp_path / "make-run.log").open("wb")
    server = subprocess.Popen(
        ["make", SERVER_LINE.split()[1]],
        cwd=repo,
        env={**env, "CREWBOARD_PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SETUP_SECONDS
        while not _answers(base):
            assert server.poll() is None, (tmp_path / "make-run.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "make run did not serve in time"
            time.sleep(0.5)
        yield repo, env, base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
        log.close()


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _script(lines: list[str], port: str) -> str:
    """One bash script: each pasted line in order; the first failure names its line."""
    body = ["set -euo pipefail", "trap 'echo \"README line failed: $BASH_COMMAND\" >&2' ERR"]
    body += [line.replace(README_PORT, port) for line in lines]
    # Not a README line: hands the token on to the MCP part of the test.
    body.append('printf %s "$TOKEN" > "$HOME/token.txt"')
    return "\n".join(body) + "\n"


async def test_the_readme_works_line_by_line_as_pasted(
    pasted: tuple[Path, dict[str, str], str],
) -> None:
    repo, env, base = pasted
    lines = shell_lines((repo / "README.md").read_text())
    commands = [command_of(line) for line in lines]
    for stale in set(NOT_PASTED) | {SERVER_LINE}:
        assert stale in commands, f"NOT_PASTED names a line the README no longer has: {stale}"
    run = [line for line, cmd in zip(lines, commands, strict=True) if cmd not in NOT_PASTED]
    assert command_of(run[0]) == SERVER_LINE  # the first block starts the server
    script = _script(run[1:], base.removeprefix("http://"))
    result = await asyncio.to_thread(
        subprocess.run,
        ["bash", "-c", script],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "README line failed" not in result.stderr
    # What the lines say they do, seen in their output.
    assert '"agent_name":"backend"' in result.stdout  # the curl check of the new token
    assert "Orders table" in result.stdout  # the changelog entry of the completed task
    assert "claimed #2" in result.stdout  # the team's task

    # docs/agents.md's stdio configuration, with the PATH the README set and the token.
    name, args, config_env = _stdio_config((repo / "docs" / "agents.md").read_text())
    token = (Path(env["HOME"]) / "token.txt").read_text()
    server_env = {
        key: value.replace("${CREWBOARD_TOKEN}", token).replace(README_PORT, base[7:])
        for key, value in config_env.items()
    }
    path = os.pathsep.join([str(repo / ".venv" / "bin"), env["PATH"]])
    command = shutil.which(name, path=path)
    assert command == str(repo / ".venv" / "bin" / "crewboard")
    async with stdio_command(command, args, {**env, **server_env}) as agent:
        listed = await agent.ok("TaskList")  # the team's list: backend leads checkout
        first = await agent.ok("TaskGet", taskId="1")
    assert [task["subject"] for task in listed["tasks"]] == ["Checkout page"]
    assert (first["subject"], first["status"]) == ("Add the orders table", "completed")


def _stdio_config(markdown: str) -> tuple[str, list[str], dict[str, str]]:
    """The command, arguments and environment of docs/agents.md's first stdio entry."""
    for block in re.findall(r"^```json\n(.*?)^```", markdown, flags=re.S | re.M):
        entry = json.loads(block).get("mcpServers", {}).get("crewboard", {})
        if "command" in entry:
            return str(entry["command"]), list(entry["args"]), dict(entry["env"])
    raise AssertionError("docs/agents.md has no stdio configuration")
