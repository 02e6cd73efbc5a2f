"""``crewboard init`` reads only regular files inside the repository (issue 17, item 4):
an agent file linked to a file outside (``/proc/self/environ`` put the process's secrets
into the roster's domain), a FIFO (init hung), a file over the cap or a linked folder is
refused with one line naming it, and nothing is imported."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path

import pytest

from crewboard.database import Database
from crewboard.services.core import REPO_FILE_MAX
from tests.cli.conftest import Invoke
from tests.support import repo_samples as sample
from tests.support.cli import Result, assert_one_line_error
from tests.support.database import row_counts
from tests.support.factory import Factory

SECRET = "CREWBOARD_FAKE_SECRET=hunter2-do-not-leak"
PROMPT_SECONDS = 20.0


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return sample.write_repo(tmp_path / "shop")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.md").write_text(f"---\ndescription: {SECRET}\n---\n")
    (folder / "qa-tracker.md").write_text("## Pending\n- [P1] planted\n")
    return folder


async def _refused(cli: Invoke, database: Database, repo: Path, *fragments: str) -> Result:
    before = await row_counts(database)
    done = await asyncio.wait_for(cli("init", "--repo", str(repo)), PROMPT_SECONDS)
    assert_one_line_error(done, 2, *fragments)
    assert SECRET not in done.stderr + done.stdout
    assert await row_counts(database) == before
    return done


async def test_an_agent_file_linked_outside_is_refused(
    cli: Invoke, factory: Factory, database: Database, repo: Path, outside: Path
) -> None:
    await factory.user("lead@example.com", admin=True)
    (repo / ".claude/agents/spy.md").symlink_to(outside / "secret.md")
    await _refused(cli, database, repo, ".claude/agents/spy.md is a symbolic link")
    listed = await cli("project", "list", "--json")
    assert listed.stdout.strip() == "[]", listed


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
async def test_an_agent_file_linked_to_proc_self_environ_is_refused(
    cli: Invoke, factory: Factory, database: Database, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await factory.user("lead@example.com", admin=True)
    monkeypatch.setenv("CREWBOARD_TEST_LEAK", SECRET)
    (repo / ".claude/agents/environ.md").symlink_to("/proc/self/environ")
    await _refused(cli, database, repo, ".claude/agents/environ.md is a symbolic link")


@pytest.mark.parametrize("linked", [".claude/agents", ".claude/trackers"])
async def test_a_folder_linked_outside_is_refused(
    cli: Invoke, factory: Factory, database: Database, repo: Path, outside: Path, linked: str
) -> None:
    await factory.user("lead@example.com", admin=True)
    for path in (repo / linked).iterdir():
        path.unlink()
    (repo / linked).rmdir()
    (repo / linked).symlink_to(outside)
    await _refused(cli, database, repo, f"{linked} is a symbolic link")


async def test_a_fifo_is_refused_at_once(
    cli: Invoke, factory: Factory, database: Database, repo: Path
) -> None:
    await factory.user("lead@example.com", admin=True)
    fifo = repo / ".claude/agents/pipe.md"
    os.mkfifo(fifo)
    try:
        await _refused(cli, database, repo, ".claude/agents/pipe.md is a FIFO")
    finally:  # had a reader blocked in open(), a writer lets it go: the run cannot hang on
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


async def test_a_file_over_the_cap_is_refused(
    cli: Invoke, factory: Factory, database: Database, repo: Path
) -> None:
    await factory.user("lead@example.com", admin=True)
    with (repo / ".claude/CHANGELOG.md").open("ab") as handle:
        handle.truncate(REPO_FILE_MAX + 1)
    await _refused(cli, database, repo, f".claude/CHANGELOG.md is over {REPO_FILE_MAX} bytes")
