"""``crewboard import claude-team`` and ``crewboard export claude-team``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import unit_of_work
from crewboard.services.tasks import Status, TaskChange, Tasks
from tests.cli.conftest import Invoke
from tests.services.interop.claude.claude_shapes import check_tree
from tests.support import claude_samples as sample
from tests.support.cli import assert_one_line_error
from tests.support.database import row_counts
from tests.support.factory import SYSTEM, Factory


async def _shop(factory: Factory) -> None:
    root = await factory.user("root@example.com", admin=True)
    await factory.project("shop", root)


async def test_import_then_export_round_trips(
    cli: Invoke, factory: Factory, tmp_path: Path
) -> None:
    await _shop(factory)
    claude = sample.write_team(tmp_path / "claude")
    done = await cli("import", "claude-team", "web", "-p", "shop", "--claude-dir", str(claude))
    assert (done.code, done.stderr) == (0, ""), done
    assert done.stdout == (
        "imported team web into shop: 4 members (4 new on the roster), 5 tasks (#1-#5), "
        "6 messages\n"
    )
    out = tmp_path / "out"
    exported = await cli(
        "export", "claude-team", "web", "--project", "shop", "--claude-dir", str(out), "--json"
    )
    assert exported.code == 0, exported
    report = json.loads(exported.stdout)
    assert report["files"][:2] == ["teams/web/config.json", "tasks/web/1.json"]
    assert sample.read_tree(out) == sample.read_tree(claude)

    again = await cli("export", "claude-team", "web", "-p", "shop", "--claude-dir", str(out))
    assert again.stdout == f"exported team web to {out}: config.json, 5 tasks, 4 inboxes\n"


async def test_import_json_and_the_default_folder(
    cli: Invoke, factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _shop(factory)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(sample.write_team(tmp_path / "claude")))
    done = await cli("import", "claude-team", "web", "-p", "shop", "--json")
    assert done.code == 0, done
    report = json.loads(done.stdout)
    assert report["tasks"] == {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
    assert report["members"] == ["team-lead", "frontend", "backend", "qa"]


async def test_failures_are_one_line_and_change_nothing(
    cli: Invoke, factory: Factory, database: Database, tmp_path: Path
) -> None:
    await _shop(factory)
    claude = sample.write_team(tmp_path / "claude")
    (claude / "tasks/web/2.json").write_text('{"id": "2", "subject": ')
    before = await row_counts(database)
    args = ("import", "claude-team", "web", "-p", "shop", "--claude-dir", str(claude))
    assert_one_line_error(await cli(*args), 2, "tasks/web/2.json: not valid JSON")
    assert_one_line_error(
        await cli("import", "claude-team", "nope", "-p", "shop", "--claude-dir", str(claude)),
        3,
        "no Claude Code team nope",
        "teams/nope/config.json does not exist",
    )
    assert_one_line_error(
        await cli(
            "import",
            "claude-team",
            "web",
            "-p",
            "nowhere",
            "--claude-dir",
            str(sample.write_team(tmp_path / "good")),
        ),
        3,
        "nowhere",
    )
    assert await row_counts(database) == before

    good = ("import", "claude-team", "web", "-p", "shop", "--claude-dir", str(tmp_path / "good"))
    assert (await cli(*good)).code == 0
    assert_one_line_error(await cli(*good), 1, "team web exists in project shop")
    assert_one_line_error(
        await cli("export", "claude-team", "ghost", "-p", "shop", "--claude-dir", str(tmp_path)),
        3,
        "no team ghost",
    )


async def test_export_waits_for_a_held_lock_then_fails_clearly(
    cli: Invoke, factory: Factory, tmp_path: Path
) -> None:
    await _shop(factory)
    claude = sample.write_team(tmp_path / "claude")
    assert (
        await cli("import", "claude-team", "web", "-p", "shop", "--claude-dir", str(claude))
    ).code == 0
    out = tmp_path / "out"
    held = out / "tasks/web/3.json.lock"
    held.mkdir(parents=True)
    failed = await cli(
        "export",
        "claude-team",
        "web",
        "-p",
        "shop",
        "--claude-dir",
        str(out),
        "--lock-timeout",
        "0.2",
    )
    assert_one_line_error(failed, 1, f"{held} is held by another process (waited 0.2s)")
    assert not list(out.rglob("*.json"))  # nothing written
    assert list(out.rglob("*.lock")) == [held]
    held.rmdir()
    assert (
        await cli("export", "claude-team", "web", "-p", "shop", "--claude-dir", str(out))
    ).code == 0
    assert not list(out.rglob("*.lock"))


async def test_a_blocked_task_and_an_empty_active_form_come_back_from_an_export(
    cli: Invoke, factory: Factory, database: Database, settings: Settings, tmp_path: Path
) -> None:
    await _shop(factory)
    root = await factory.user("other@example.com", admin=True)
    await factory.project("shop2", root)
    claude = sample.write_team(tmp_path / "claude")
    assert (
        await cli("import", "claude-team", "web", "-p", "shop", "--claude-dir", str(claude))
    ).code == 0
    async with unit_of_work(database, write=True) as session:
        tasks = Tasks(session, settings)
        made = await tasks.create(SYSTEM, "shop", title="Waits", team="web", active_form="")
        await tasks.update(
            SYSTEM,
            "shop",
            made.task.number,
            TaskChange(status=Status.BLOCKED, blocked_reason="no API key", needs_agent="qa"),
        )
    out = tmp_path / "out"
    assert (
        await cli("export", "claude-team", "web", "-p", "shop", "--claude-dir", str(out))
    ).code == 0
    written = json.loads((out / "tasks/web/6.json").read_text())
    assert (written["status"], written["blockedReason"], written["needsAgent"]) == (
        "pending",
        "no API key",
        "qa",
    )
    assert (written["activeForm"], written["blockedBy"]) == ("", [])
    assert check_tree(out) == 11  # every file as Claude Code's readers require it
    back = await cli("import", "claude-team", "web", "-p", "shop2", "--claude-dir", str(out))
    assert back.code == 0, back
    async with unit_of_work(database, write=False) as session:
        again = (await Tasks(session, settings).get(SYSTEM, "shop2", 6)).task
    assert (again.status, again.blocked_reason, again.needs_agent, again.active_form) == (
        "blocked",
        "no API key",
        "qa",
        "",
    )
    out2 = tmp_path / "out2"
    assert (
        await cli("export", "claude-team", "web", "-p", "shop2", "--claude-dir", str(out2))
    ).code == 0
    assert sample.read_tree(out2) == sample.read_tree(out)
