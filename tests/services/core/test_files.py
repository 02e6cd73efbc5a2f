"""Atomic file writes: all or nothing, no temporary file left behind; files inside a root
(a repository) read and written without following a link, regular files only, capped."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from crewboard.services.core import (
    REPO_FILE_MAX,
    UnsafeFile,
    list_repo_dir,
    make_repo_dirs,
    read_repo_file,
    remove_repo_file,
    repo_file_mode,
    write_atomic,
    write_repo_file,
)


def test_writes_creating_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "tracker.md"
    write_atomic(target, "one\n")
    write_atomic(target, "two\n")
    assert target.read_text(encoding="utf-8") == "two\n"
    assert [p.name for p in target.parent.iterdir()] == ["tracker.md"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "tracker.md"
    write_atomic(target, "kept\n")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "half \udcff")  # a lone surrogate cannot be encoded
    assert target.read_text(encoding="utf-8") == "kept\n"
    assert [p.name for p in tmp_path.iterdir()] == ["tracker.md"]


# -- files inside a root: no link followed, regular files only, sizes capped ----------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    (folder / ".claude/trackers").mkdir(parents=True)
    (folder / ".claude/trackers/qa-tracker.md").write_text("# QA\n")
    return folder


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("AWS_SECRET=hunter2\n")
    return outside / "secret.md"


def test_a_regular_file_is_read_and_a_missing_one_is_none(root: Path) -> None:
    assert read_repo_file(root, ".claude/trackers/qa-tracker.md") == "# QA\n"
    assert read_repo_file(root, ".claude/trackers/none.md") is None
    assert read_repo_file(root, ".claude/nowhere/none.md") is None
    assert read_repo_file(root.parent / "gone", "a.md") is None
    assert list_repo_dir(root, ".claude/trackers") == ["qa-tracker.md"]
    assert list_repo_dir(root, ".claude/agents") is None


def test_a_root_reached_through_a_link_is_fine(root: Path, tmp_path: Path) -> None:
    (tmp_path / "via").symlink_to(root)
    assert read_repo_file(tmp_path / "via", ".claude/trackers/qa-tracker.md") == "# QA\n"


def test_a_linked_file_is_refused(root: Path, secret: Path) -> None:
    (root / ".claude/trackers/be-tracker.md").symlink_to(secret)
    with pytest.raises(UnsafeFile, match=r"be-tracker\.md is a symbolic link"):
        read_repo_file(root, ".claude/trackers/be-tracker.md")
    with pytest.raises(UnsafeFile, match="symbolic link"):
        write_repo_file(root, ".claude/trackers/be-tracker.md", "overwritten\n")
    assert secret.read_text() == "AWS_SECRET=hunter2\n"
    assert (root / ".claude/trackers/be-tracker.md").is_symlink()


@pytest.mark.parametrize("linked", [".claude", ".claude/trackers"])
def test_a_linked_folder_on_the_way_is_refused(root: Path, secret: Path, linked: str) -> None:
    outside = secret.parent
    (outside / "qa-tracker.md").write_text("theirs\n")
    shutil.rmtree(root / linked)
    (root / linked).symlink_to(outside)
    relative = ".claude/trackers/qa-tracker.md"
    if linked == ".claude":
        (outside / "trackers").symlink_to(outside)  # so the path exists through the links
    with pytest.raises(UnsafeFile, match=f"{linked} is a symbolic link"):
        read_repo_file(root, relative)
    with pytest.raises(UnsafeFile, match=f"{linked} is a symbolic link"):
        list_repo_dir(root, ".claude/trackers")
    with pytest.raises(UnsafeFile, match=f"{linked} is a symbolic link"):
        write_repo_file(root, ".claude/trackers/new/x.md", "mine\n")
    with pytest.raises(UnsafeFile, match=f"{linked} is a symbolic link"):
        remove_repo_file(root, relative)
    assert sorted(p.name for p in outside.iterdir()) == sorted(
        ["secret.md", "qa-tracker.md", *(["trackers"] if linked == ".claude" else [])]
    )
    assert (outside / "qa-tracker.md").read_text() == "theirs\n"


def test_a_fifo_is_refused_at_once(root: Path) -> None:
    fifo = root / ".claude/trackers/be-tracker.md"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(UnsafeFile, match=r"be-tracker\.md is a FIFO"):
        read_repo_file(root, ".claude/trackers/be-tracker.md")
    with pytest.raises(UnsafeFile, match="FIFO"):
        write_repo_file(root, ".claude/trackers/be-tracker.md", "x\n")
    assert time.monotonic() - started < 5


def test_a_folder_or_a_device_is_refused(root: Path) -> None:
    (root / ".claude/trackers/dir-tracker.md").mkdir()
    with pytest.raises(UnsafeFile, match="is a folder, not a file"):
        read_repo_file(root, ".claude/trackers/dir-tracker.md")
    with pytest.raises(UnsafeFile, match=r"qa-tracker\.md is not a folder"):
        write_repo_file(root, ".claude/trackers/qa-tracker.md/x.md", "x\n")
    if Path("/dev/null").exists():
        with pytest.raises(UnsafeFile, match="is a device"):
            read_repo_file(Path("/dev"), "null")


def test_a_file_over_the_cap_is_refused_and_one_at_it_read(root: Path) -> None:
    (root / "big.md").write_bytes(b"x" * 101)
    with pytest.raises(UnsafeFile, match=r"big\.md is over 100 bytes"):
        read_repo_file(root, "big.md", max_bytes=100)
    assert read_repo_file(root, "big.md", max_bytes=101) == "x" * 101
    assert REPO_FILE_MAX == 8 * 1024 * 1024


def test_text_that_is_not_utf8_is_refused(root: Path) -> None:
    (root / "bad.md").write_bytes(b"ok\n\xff\n")
    with pytest.raises(UnsafeFile, match=r"bad\.md: not UTF-8 text \(byte 3\)"):
        read_repo_file(root, "bad.md")


@pytest.mark.parametrize("relative", ["/etc/passwd", "../x.md", ".claude/../x.md", "a//b", ""])
def test_paths_leaving_the_root_are_refused(root: Path, relative: str) -> None:
    with pytest.raises(UnsafeFile, match="not a plain path"):
        read_repo_file(root, relative)
    with pytest.raises(UnsafeFile, match="not a plain path"):
        write_repo_file(root, relative, "x")


def test_writes_make_folders_keep_modes_and_leave_no_temporary(root: Path) -> None:
    write_repo_file(root, ".claude/trackers/team/be.md", "one\n")
    assert (root / ".claude/trackers/team/be.md").stat().st_mode & 0o777 == 0o600
    (root / ".claude/trackers/team/be.md").chmod(0o640)
    write_repo_file(root, ".claude/trackers/team/be.md", "two\n")
    assert (root / ".claude/trackers/team/be.md").stat().st_mode & 0o777 == 0o640
    assert repo_file_mode(root, ".claude/trackers/team/be.md") == 0o640
    write_repo_file(root, ".claude/trackers/team/be.md", b"three\n", mode=0o600)
    assert (root / ".claude/trackers/team/be.md").read_bytes() == b"three\n"
    assert (root / ".claude/trackers/team/be.md").stat().st_mode & 0o777 == 0o600
    write_repo_file(root, "new.json", "{}", new_mode=0o644)
    assert (root / "new.json").stat().st_mode & 0o777 == 0o644
    assert os.listdir(root / ".claude/trackers/team") == ["be.md"]
    assert remove_repo_file(root, "new.json") is True
    assert remove_repo_file(root, "new.json") is False
    make_repo_dirs(root, ".claude/crewboard")
    assert (root / ".claude/crewboard").is_dir()
