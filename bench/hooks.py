"""How long Claude Code waits on ``crewboard hook`` (issue 16's 300 ms p99 target).

    .venv/bin/python -m bench.hooks [--runs 50]

Against a local ``crewboard serve`` on a fresh SQLite file (a project, its six agents, an
agent token, a few tasks and messages), each hook runs as Claude Code runs it: a new
process, the event's JSON on stdin. Beside them, in the same run, two yardsticks: the
interpreter alone (``python -c pass``) and the full command line (``crewboard --version``),
which the hooks' light path avoids. Prints p50 / p99 in milliseconds; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import serve, summary_ms, tmp_sqlite

logger = logging.getLogger("bench.hooks")
CLI = [sys.executable, "-m", "crewboard"]
BASE = {"session_id": "b", "transcript_path": "/home/dev/shop/t.jsonl", "cwd": "/home/dev/shop"}
EVENTS = {
    "session-start": {"hook_event_name": "SessionStart", "source": "startup"},
    "teammate-idle": {"hook_event_name": "TeammateIdle", "teammate_name": "backend"},
    "task-completed": {"hook_event_name": "TaskCompleted", "task_id": "1", "task_subject": "x"},
}


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [*CLI, *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )


def _seed(env: dict[str, str]) -> str:
    """The project and an agent token; some work for the hooks to report."""
    _cli(env, "migrate")
    _cli(env, "user", "create", "lead@example.com", "--password-stdin", stdin="a long passphrase")
    _cli(env, "project", "create", "shop", "--owner", "lead@example.com")
    for name in ("architect", "frontend", "backend", "domain-expert", "reviewer", "qa"):
        _cli(env, "agent", "add", "shop", name)
    made = _cli(
        env,
        "token",
        "create",
        "--user",
        "lead@example.com",
        "--project",
        "shop",
        "--agent",
        "backend",
    )
    token = made.stdout.strip()
    if not token.startswith("cb_"):
        raise RuntimeError(f"no token: {made.stderr}")
    return token


def _timed(env: dict[str, str], args: list[str], stdin: str, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
            args, env=env, input=stdin, capture_output=True, text=True, check=False
        )
        samples.append(time.perf_counter() - started)
    return samples


def main(argv: list[str] | None = None) -> None:
    """Measure and print."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m bench.hooks", description=__doc__)
    parser.add_argument("--runs", type=int, default=50, help="processes per hook (default 50)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        url = tmp_sqlite(Path(folder), "hooks")
        env = {**os.environ, "CREWBOARD_DATABASE_URL": url, "CREWBOARD_LOG_LEVEL": "WARNING"}
        token = _seed(env)
        with serve(url) as served:
            client = {**env, "CREWBOARD_URL": served.base, "CREWBOARD_TOKEN": token}
            for title in ("Schema", "API", "Docs"):
                _cli(client, "task", "add", title, "--tracker", "backend")
            _cli(client, "task", "claim", "1")
            rows = [
                ("python -c pass", _timed(env, [sys.executable, "-c", "pass"], "", options.runs)),
                ("crewboard --version", _timed(env, [*CLI, "--version"], "", options.runs)),
            ]
            for name, event in EVENTS.items():
                stdin = json.dumps({**BASE, **event})
                rows.append(
                    (f"hook {name}", _timed(client, [*CLI, "hook", name], stdin, options.runs))
                )
    logger.info("%-22s %s", "process", "p50 / p99 ms")
    for name, samples in rows:
        logger.info("%-22s %s", name, summary_ms(samples))


if __name__ == "__main__":
    main()
