"""Reading ``.claude/`` for ``crewboard init``: agent files, front matter, errors naming files."""

from __future__ import annotations

from pathlib import Path

import pytest

from crewboard.services.core import NotFound
from crewboard.services.interop.repo.files import (
    RepoFormatError,
    domain_of,
    front_matter,
    read_repo,
    slug_for,
)
from tests.support import repo_samples as sample


def test_the_sample_agents_and_their_domains(tmp_path: Path) -> None:
    files = read_repo(sample.write_repo(tmp_path))
    assert {a.name: a.domain for a in files.agents} == sample.DOMAINS
    assert [t.agent for t in files.trackers] == ["backend", "frontend", "qa"]
    assert files.changelog is not None
    assert len(files.changelog.entries) == 3


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("---\ndescription: 'it''s quoted'\n---\n", "it's quoted"),
        ("---\ndescription: >-\n  folded\n  lines\nname: x\n---\n", "folded lines"),
        ("---\ndescription: plain\n  continued\n---\n", "plain continued"),
        ('---\ndescription: "bad \\q escape"\n---\n', "bad \\q escape"),
        ("---\nname: x\n---\n# Title only\n", "Title only"),
        ("# Title\n\nFirst\nparagraph.\n\nSecond.\n", "First paragraph."),
        ("---\nnot closed\n\nText.\n", "--- not closed"),
        ("", ""),
    ],
)
def test_domain_of(text: str, domain: str) -> None:
    assert domain_of(text) == domain


def test_front_matter_and_long_domains() -> None:
    assert front_matter(["---", "Name: a", "tools: b, c", "---", "rest"]) == (
        {"name": "a", "tools": "b, c"},
        4,
    )
    long = domain_of("x" * 600)
    assert (len(long), long[-1]) == (500, "…")


def test_slug_for() -> None:
    assert [slug_for(n) for n in ("My Shop", "shop_v2", "---", "Ünïcode")] == [
        "my-shop",
        "shop-v2",
        "",
        "n-code",
    ]


def test_bad_folders_and_files_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"no \.claude folder in"):
        read_repo(tmp_path)
    root = sample.write_repo(tmp_path)
    bad = root / ".claude/agents/Bad Name.md"
    bad.write_text("# x\n")
    with pytest.raises(RepoFormatError, match=r"\.claude/agents/Bad Name\.md: 'Bad Name' is not"):
        read_repo(root)
    bad.unlink()
    (root / ".claude/trackers/QA-tracker.md").write_text("# x\n")
    with pytest.raises(RepoFormatError, match=r"QA-tracker\.md: 'QA' is not a valid agent"):
        read_repo(root)
    (root / ".claude/trackers/QA-tracker.md").unlink()
    (root / ".claude/CHANGELOG.md").write_bytes(b"# Changelog\n\xff\n")
    with pytest.raises(RepoFormatError, match=r"\.claude/CHANGELOG\.md: not UTF-8 text"):
        read_repo(root)
    (root / ".claude/CHANGELOG.md").unlink()
    (root / ".claude/trackers/ops-tracker.md").mkdir()
    with pytest.raises(RepoFormatError, match=r"ops-tracker\.md is a folder, not a file"):
        read_repo(root)
