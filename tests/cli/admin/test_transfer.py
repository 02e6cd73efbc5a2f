"""``crewboard export`` / ``crewboard import``: whole projects, beside ``claude-team``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.interop import seed_demo
from crewboard.services.tasks import Tasks
from tests.cli.conftest import Invoke
from tests.support.cli import assert_one_line_error
from tests.support.database import row_counts
from tests.support.transfer import export_lines, normalised

SLUG = "shop"


async def _seed(database: Database, settings: Settings) -> None:
    async with unit_of_work(database, write=True) as session:
        await seed_demo(session, settings, slug=SLUG, email="lead@example.com")


def _write(path: Path, lines: list[str]) -> str:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


@pytest.mark.e2e
async def test_export_then_import_under_a_new_slug_as_processes(
    cli_process: Invoke, database: Database, settings: Settings, tmp_path: Path
) -> None:
    await _seed(database, settings)
    short = await cli_process("export", SLUG)
    assert short.code == 0, short
    assert short.stderr == ""
    exported = short.stdout.splitlines()
    assert json.loads(exported[0])["format"] == "crewboard-project"
    file = tmp_path / "shop.jsonl"
    explicit = await cli_process("export", "project", SLUG, "--output", str(file))
    assert explicit.code == 0, explicit
    assert explicit.stdout == ""
    assert normalised(file.read_text().splitlines()) == normalised(exported)

    imported = await cli_process("import", str(file), "--slug", "shop-2")
    assert imported.code == 0, imported
    assert imported.stdout.startswith(f"imported project shop-2 from {file}: 6 agents")
    again = await cli_process("export", "shop-2")
    assert normalised(again.stdout.splitlines()) == normalised(exported)

    refused = await cli_process("import", "project", str(file), "--slug", "shop-2")
    assert_one_line_error(refused, 1, "project shop-2 exists", "--slug")


async def test_import_reads_stdin_and_creates_missing_users_when_asked(
    cli: Invoke, database: Database, settings: Settings
) -> None:
    await _seed(database, settings)
    exported = await cli("export", SLUG)
    body = exported.stdout.replace("lead@example.com", "newcomer@example.com")
    refused = await cli("import", "-", "--slug", "other", stdin=body)
    assert_one_line_error(refused, 2, "<stdin>:", "newcomer@example.com", "--create-users")
    made = await cli("import", "-", "--slug", "other", "--create-users", stdin=body)
    assert made.code == 0, made
    assert "created user newcomer@example.com" in made.stderr


@pytest.mark.e2e
async def test_a_bad_file_is_one_line_with_its_line_number_and_changes_nothing(
    cli_process: Invoke, database: Database, settings: Settings, tmp_path: Path
) -> None:
    await _seed(database, settings)
    lines = await export_lines(database, SLUG)
    task = next(i for i, line in enumerate(lines) if '"type":"task"' in line)
    lines[task] = lines[task].replace('"priority":', '"colour":"red","priority":')
    file = _write(tmp_path / "bad.jsonl", lines)
    before = await row_counts(database)
    result = await cli_process("import", file, "--slug", "copy")
    assert_one_line_error(result, 2, f"{file}:{task + 1}: colour: Extra inputs are not permitted")
    assert await row_counts(database) == before
    missing = await cli_process("import", str(tmp_path / "none.jsonl"))
    assert_one_line_error(missing, 2, "no file")


async def test_help_shows_both_kinds_and_claude_team_still_routes(cli: Invoke) -> None:
    for verb in ("export", "import"):
        shown = await cli(verb, "--help")
        assert shown.code == 0, shown
        assert "claude-team" in shown.stdout
        assert "project" in shown.stdout
        assert f"crewboard {verb} project" in " ".join(shown.stdout.split())
    team = await cli("export", "claude-team", "--help")
    assert team.code == 0
    assert "--claude-dir" in team.stdout
    unknown = await cli("export", "nope")
    assert_one_line_error(unknown, 3, "project nope not found")
    bad_slug = await cli("export", "Not_A_Slug")
    assert_one_line_error(bad_slug, 2)


async def test_admin_help_lists_backup_and_restore(cli: Invoke) -> None:
    shown = await cli("--help")
    assert "backup" in shown.stdout
    assert "restore" in shown.stdout


async def test_every_string_the_services_accept_survives_a_round_trip(
    cli: Invoke, database: Database, settings: Settings, tmp_path: Path
) -> None:
    """Line and paragraph separators, NEL, a carriage return and astral characters stay raw in
    JSON (or escaped): the export's lines are split at newlines only (issue 17, item 6)."""
    await _seed(database, settings)
    title = "a\u2028b\u2029c\U0001f680d"  # a title refuses control characters
    odd = "a\u2028b\u2029c\nd\te\U0001f680f"  # the services refuse \r and U+0085
    async with unit_of_work(database, write=True) as session:
        await Tasks(session, settings).create(Actor.system(), SLUG, title=title, description=odd)
    exported = await cli("export", SLUG, "--output", str(tmp_path / "odd.jsonl"))
    assert exported.code == 0, exported
    crlf = tmp_path / "crlf.jsonl"
    crlf.write_bytes((tmp_path / "odd.jsonl").read_bytes().replace(b"\n", b"\r\n"))
    for name, file in (("odd-copy", tmp_path / "odd.jsonl"), ("crlf-copy", crlf)):
        imported = await cli("import", str(file), "--slug", name)
        assert imported.code == 0, imported
        again = await cli("export", name)
        records = [json.loads(line) for line in again.stdout.split("\n") if line]
        tasks = [r for r in records if r.get("type") == "task"]
        assert (title, odd) in [(t["title"], t["description"]) for t in tasks]
