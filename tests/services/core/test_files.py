"""Atomic file writes: all or nothing, no temporary file left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from crewboard.services.core import write_atomic


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
