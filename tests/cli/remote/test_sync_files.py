"""``crewboard sync`` never reads or writes through a link (issue 17, item 5): a repository
holding ``.claude/trackers -> elsewhere`` had every teammate's sync write tracker files
there. A linked folder or file, or a FIFO, is refused with one line before anything is
applied or written; the sync state is owner-only."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from tests.cli.crew import Crew
from tests.cli.remote.test_sync import CHANGELOG, TRACKER, sync, synced
from tests.support.cli import assert_one_line_error

STATE = ".claude/.crewboard-sync.json"
PROMPT_SECONDS = 20.0


def _outside(tmp_path: Path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "keep.md").write_text("theirs\n")
    return folder


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


async def test_a_linked_trackers_folder_is_refused_and_nothing_is_written_there(
    crew: Crew, tmp_path: Path
) -> None:
    await crew.world.task("Orders table", tracker="backend")
    repo, outside = tmp_path / "repo", _outside(tmp_path)
    (repo / ".claude").mkdir(parents=True)
    (repo / ".claude/trackers").symlink_to(outside)
    result = await sync(crew, repo)
    assert_one_line_error(result, 2, ".claude/trackers is a symbolic link")
    assert _files(outside) == {"keep.md": "theirs\n"}
    assert sorted(p.name for p in (repo / ".claude").iterdir()) == ["trackers"]


async def test_a_linked_claude_folder_is_refused(crew: Crew, tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", _outside(tmp_path)
    repo.mkdir()
    (repo / ".claude").symlink_to(outside)
    result = await sync(crew, repo)
    assert_one_line_error(result, 2, ".claude is a symbolic link")
    assert _files(outside) == {"keep.md": "theirs\n"}


async def test_a_linked_changelog_is_refused_and_its_target_kept(
    crew: Crew, tmp_path: Path
) -> None:
    await crew.world.task("Orders table", tracker="backend")
    repo, outside = tmp_path / "repo", _outside(tmp_path)
    repo.mkdir()
    await synced(crew, repo)
    (repo / CHANGELOG).unlink()
    (repo / CHANGELOG).symlink_to(outside / "keep.md")
    tracker = (repo / TRACKER).read_text()
    await crew.world.task("Payments", tracker="backend")  # a server change to write
    result = await sync(crew, repo)
    assert_one_line_error(result, 2, ".claude/CHANGELOG.md is a symbolic link")
    assert _files(outside) == {"keep.md": "theirs\n"}
    assert (repo / TRACKER).read_text() == tracker  # nothing written at all


async def test_a_fifo_tracker_is_refused_at_once(crew: Crew, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".claude/trackers").mkdir(parents=True)
    fifo = repo / TRACKER
    os.mkfifo(fifo)
    try:
        result = await asyncio.wait_for(sync(crew, repo), PROMPT_SECONDS)
    finally:  # had a reader blocked in open(), a writer lets it go: the run cannot hang on
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert_one_line_error(result, 2, f"{TRACKER} is a FIFO")


async def test_the_sync_state_is_owner_only(crew: Crew, tmp_path: Path) -> None:
    await crew.world.task("Orders table", tracker="backend")
    repo = tmp_path / "repo"
    repo.mkdir()
    await synced(crew, repo)
    assert (repo / STATE).stat().st_mode & 0o777 == 0o600
    (repo / STATE).chmod(0o644)
    await crew.world.task("Payments", tracker="backend")
    await synced(crew, repo)
    assert (repo / STATE).stat().st_mode & 0o777 == 0o600
