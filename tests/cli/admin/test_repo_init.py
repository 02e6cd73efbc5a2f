"""``crewboard init``: the sample ``.claude/`` folder through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crewboard.database import Database
from tests.cli.conftest import Invoke
from tests.support import repo_samples as sample
from tests.support.cli import assert_one_line_error
from tests.support.database import row_counts
from tests.support.factory import Factory


async def test_init_imports_the_sample_and_lists_what_it_could_not(
    cli: Invoke, factory: Factory, tmp_path: Path
) -> None:
    await factory.user("lead@example.com", admin=True)
    repo = sample.write_repo(tmp_path / "Shop App")
    done = await cli("init", "--repo", str(repo), "--owner", "lead@example.com")
    assert done.code == 5, done
    assert done.stderr == "crewboard: 8 lines not imported (listed on stdout)\n"
    lines = done.stdout.splitlines()
    assert lines[:5] == [
        f"initialised project shop-app (new project) from {repo}",
        "agents: 7 added (architect, backend, domain-expert, frontend, qa, reviewer, devops), "
        "0 already on the roster (none)",
        "tasks: 15 (in progress 3, pending 5, blocked 3, completed 4)",
        "changelog entries: 3",
        "numbered: .claude/trackers/backend-tracker.md:7 is #11 (no number in the file)",
    ]
    assert "numbered: .claude/trackers/frontend-tracker.md:8 is #15 (#2 was taken)" in lines
    at = lines.index("not imported (8):")
    assert at == 4 + 6
    # The changelog's intro is the file's own text (kept), not a line that failed.
    assert not any("before the first entry" in line for line in lines)
    missing_agent = "  .claude/trackers/frontend-tracker.md:5: owner 'designer bob' is not a valid"
    assert any(line.startswith(missing_agent) for line in lines)
    assert (
        "  .claude/trackers/notes.txt: not a tracker (<agent>-tracker.md); not read: notes.txt"
        in lines
    )
    assert len(lines) == at + 1 + 8

    listed = await cli("agent", "list", "shop-app", "--json")
    assert [a["name"] for a in json.loads(listed.stdout)][-1] == "devops"
    again = await cli("init", "--repo", str(repo))
    assert_one_line_error(again, 1, "project shop-app already has 15 tasks and 3 changelog entries")


async def test_a_clean_folder_exits_0_and_json_reports_the_same(
    cli: Invoke, factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await factory.user("lead@example.com", admin=True)
    repo = tmp_path / "crew"
    (repo / ".claude/trackers").mkdir(parents=True)
    (repo / ".claude/trackers/qa-tracker.md").write_text(
        "# QA\n\n## Completed\n- **2025-01-02**: #4 Smoke — green. Files: t.py. Verified: CI.\n"
    )
    monkeypatch.chdir(repo)
    done = await cli("init", "--json")
    assert (done.code, done.stderr) == (0, ""), done
    assert json.loads(done.stdout) == {
        "project": "crew",
        "repo": str(repo.resolve()),
        "written": True,
        "project_created": True,
        "agents_added": ["qa"],
        "agents_kept": [],
        "tasks": {"in_progress": 0, "pending": 0, "blocked": 0, "completed": 1},
        "numbered": [],
        "changelog_entries": 0,
        "not_imported": [],
    }
    shown = await cli("project", "list", "--json")
    assert [(p["slug"], p["repo_path"]) for p in json.loads(shown.stdout)] == [
        ("crew", str(repo.resolve()))
    ]


async def test_strict_writes_nothing_when_a_line_cannot_be_imported(
    cli: Invoke, factory: Factory, database: Database, tmp_path: Path
) -> None:
    await factory.user("lead@example.com", admin=True)
    repo = sample.write_repo(tmp_path / "shop")
    before = await row_counts(database)
    done = await cli("init", "--repo", str(repo), "--strict")
    assert done.code == 5, done
    first = done.stdout.splitlines()[0]
    assert first == "nothing imported into shop (--strict); not importable (8):"
    assert await row_counts(database) == before


async def test_bad_inputs_are_one_line_and_write_nothing(
    cli: Invoke, factory: Factory, database: Database, tmp_path: Path
) -> None:
    await factory.user("lead@example.com", admin=True)
    before = await row_counts(database)
    assert_one_line_error(await cli("init", "--repo", str(tmp_path)), 3, "no .claude folder in")
    repo = sample.write_repo(tmp_path / "shop")
    (repo / ".claude/agents/Designer.md").write_text("# Designer\n")
    bad_name = ".claude/agents/Designer.md: 'Designer' is not a valid agent name"
    assert_one_line_error(await cli("init", "--repo", str(repo)), 2, bad_name)
    (repo / ".claude/agents/Designer.md").unlink()
    ghost = await cli("init", "--repo", str(repo), "--owner", "ghost@example.com")
    assert_one_line_error(ghost, 3, "no user with e-mail ghost@example.com")
    (repo / ".claude/trackers/qa-tracker.md").write_bytes(b"## Pending\n- \xff\n")
    assert_one_line_error(
        await cli("init", "--repo", str(repo)), 2, ".claude/trackers/qa-tracker.md: not UTF-8 text"
    )
    cycle = "## Pending\n- #41 B — waits on: #42\n- #42 C — waits on: #41\n"
    (repo / ".claude/trackers/qa-tracker.md").write_text(cycle)
    assert_one_line_error(await cli("init", "--repo", str(repo)), 2, "go round: #41 → #42 → #41")
    assert_one_line_error(await cli("init", "--repo", str(repo), "-p", "Bad_Slug"), 2, "--project")
    assert await row_counts(database) == before
