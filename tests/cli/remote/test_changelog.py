"""``crewboard changelog add|list`` against a live server."""

from __future__ import annotations

import json

from tests.cli.crew import LEAD, Crew
from tests.support.cli import assert_one_line_error


async def _entry(crew: Crew, who: str, title: str, *extra: str) -> dict[str, object]:
    entry = await crew.json(
        "changelog",
        "add",
        "--title",
        title,
        "--problem",
        f"{title}: problem",
        "--fix",
        f"{title}: fix",
        "--verified",
        f"{title}: verified",
        *extra,
        who=who,
    )
    assert isinstance(entry, dict)
    return entry


async def test_add_appends_an_entry_by_the_acting_agent(crew: Crew) -> None:
    await crew.world.task("Login page")
    await crew.world.task("Session cookie")
    entry = await _entry(
        crew,
        "frontend",
        "Login works",
        "--file",
        "web/login.ts",
        "--file",
        "web/session.ts",
        "--task",
        "1",
        "--task",
        "2",
    )
    (stored,) = (await crew.api("/changelog"))["items"]
    assert entry == stored
    assert (entry["agent"], entry["files"], entry["task_ids"]) == (
        "frontend",
        ["web/login.ts", "web/session.ts"],
        [1, 2],
    )
    assert (entry["problem"], entry["fix"], entry["verified"]) == (
        "Login works: problem",
        "Login works: fix",
        "Login works: verified",
    )
    human = await crew.run(
        "changelog",
        "add",
        "--title",
        "Second",
        "--problem",
        "p",
        "--fix",
        "f",
        "--verified",
        "v",
        who="frontend",
    )
    assert human.code == 0, human
    assert human.stdout == f"changelog entry {int(str(entry['id'])) + 1} appended: Second\n"


async def test_a_person_writes_for_an_agent(crew: Crew) -> None:
    entry = await _entry(crew, LEAD, "On behalf", "--as", "qa", "--project", "shop")
    assert entry["agent"] == "qa"
    alone = await crew.run(
        "changelog",
        "add",
        "-p",
        "shop",
        "--title",
        "t",
        "--problem",
        "p",
        "--fix",
        "f",
        "--verified",
        "v",
        who=LEAD,
    )
    assert alone.code == 2, alone
    assert len(alone.stderr_lines) == 1


async def test_list_filters_by_agent_and_task_and_pages(crew: Crew) -> None:
    await crew.world.task("Checkout")
    await _entry(crew, "backend", "API", "--task", "1")
    await _entry(crew, "frontend", "Page", "--task", "1")
    await _entry(crew, "backend", "Cleanup")
    every = await crew.json("changelog", "list", who="qa")
    assert every == (await crew.api("/changelog"))["items"]
    assert [e["title"] for e in every] == ["API", "Page", "Cleanup"]
    backend = await crew.json("changelog", "list", "--agent", "backend", who="qa")
    assert [e["title"] for e in backend] == ["API", "Cleanup"]
    about = await crew.json("changelog", "list", "--task", "1", who="qa")
    assert [e["title"] for e in about] == ["API", "Page"]
    first = await crew.run("changelog", "list", "--limit", "2", "--json", who="qa")
    assert [e["title"] for e in json.loads(first.stdout)] == ["API", "Page"]
    assert "--all" in first.stderr
    assert await crew.json("changelog", "list", "--limit", "1", "--all", who="qa") == every
    table = await crew.run("changelog", "list", who="qa")
    assert table.code == 0, table
    for fragment in ("Changelog entries", "backend", "Cleanup", "#1"):
        assert fragment in table.stdout
    none = await crew.run("changelog", "list", "--agent", "reviewer", who="qa")
    assert none.stdout.strip() == "no changelog entries"


async def test_add_needs_its_four_parts_and_a_known_task(crew: Crew) -> None:
    missing = await crew.run("changelog", "add", "--title", "t", "--problem", "p", who="qa")
    assert_one_line_error(missing, 2, "--fix")
    unknown = await crew.run(
        "changelog",
        "add",
        "--title",
        "t",
        "--problem",
        "p",
        "--fix",
        "f",
        "--verified",
        "v",
        "--task",
        "42",
        who="qa",
    )
    assert_one_line_error(unknown, 3, "no task #42", "[not-found]")
    assert (await crew.api("/changelog"))["items"] == []


async def test_show_prints_the_changelog_file(crew: Crew) -> None:
    await _entry(crew, "backend", "Orders table")
    shown = await crew.run("changelog", "show", who="qa")
    assert shown.code == 0, shown
    assert shown.stdout.startswith("# Changelog\n<!-- crewboard: project=shop version=")
    assert "## " in shown.stdout
    assert "— Orders table\n" in shown.stdout
    assert "### Problem\n\nOrders table: problem\n" in shown.stdout
