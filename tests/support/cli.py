"""Running the ``crewboard`` command for real: in-process (same ``run()``) or as a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from crewboard.cli.main import run
from tests.support.settings import CHEAP_HASHING_ENV

TIMEOUT = 60.0


@dataclass(frozen=True)
class Result:
    """What one run of the command produced."""

    code: int
    stdout: str
    stderr: str

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a subprocess run: ours, pointed at the test database, hashing
    passwords cheaply."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREWBOARD_")}
    env.update(CREWBOARD_DATABASE_URL=database_url, COLUMNS="200", PYTHONUNBUFFERED="1")
    env.update(CHEAP_HASHING_ENV)
    env.update(extra)
    return env


async def run_subprocess(
    env: Mapping[str, str], *args: str, stdin: str | None = None, seconds: float = TIMEOUT
) -> Result:
    """``python -m crewboard ARGS`` as a child process, killed if it outlives ``seconds``."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crewboard",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
    )
    try:
        out, err = await asyncio.wait_for(
            proc.communicate(stdin.encode() if stdin is not None else b""), seconds
        )
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


@contextlib.contextmanager
def _swapped_streams(stdin: str) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        yield out, err
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


def _run_in_process(args: tuple[str, ...], stdin: str) -> Result:
    with _swapped_streams(stdin) as (out, err):
        code = run(list(args))
    return Result(code, out.getvalue(), err.getvalue())


async def run_in_process(*args: str, stdin: str = "") -> Result:
    """``crewboard ARGS`` through the same ``run()`` as the real command, in a worker thread.

    The command runs its own event loop (``asyncio.run``), so it cannot share the test's.
    The environment (``CREWBOARD_DATABASE_URL``) is set by the ``cli`` fixture.
    """
    return await asyncio.wait_for(asyncio.to_thread(_run_in_process, args, stdin), TIMEOUT)


def assert_one_line_error(result: Result, code: int, *fragments: str) -> None:
    """A failure: the exit code, nothing on stdout, one ``crewboard: error:`` line on stderr."""
    assert result.code == code, result
    assert result.stdout == "", result
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr_lines) == 1, result.stderr
    line = result.stderr_lines[0]
    assert line.startswith("crewboard: error: "), line
    for fragment in fragments:
        assert fragment in line, line
