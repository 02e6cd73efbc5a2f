"""``crewboard agent``: the roster."""

from __future__ import annotations

import json

from crewboard.database import Database
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.projects import Role, RosterService
from tests.cli.conftest import Invoke
from tests.support.cli import assert_one_line_error
from tests.support.factory import Factory

SYSTEM = Actor.system()


async def _roster(database: Database, slug: str) -> list[tuple[str, str, str]]:
    async with unit_of_work(database, write=False) as session:
        agents = (await RosterService(session).list(SYSTEM, slug)).items
        return [(a.name, a.domain, a.tracker_path) for a in agents]


async def test_add_list_remove(cli: Invoke, factory: Factory, database: Database) -> None:
    root = await factory.user("root@example.com", admin=True)
    await factory.project("demo", root)

    added = await cli("agent", "add", "demo", "backend", "--domain", "APIs and the database")
    assert added.code == 0, added
    assert added.stdout == (
        "added agent backend to demo (tracker .claude/trackers/backend-tracker.md)\n"
    )
    qa = await cli(
        "agent", "add", "demo", "qa", "--tracker-path", ".claude/trackers/qa.md", "--json"
    )
    assert json.loads(qa.stdout)["tracker_path"] == ".claude/trackers/qa.md"
    assert await _roster(database, "demo") == [
        ("backend", "APIs and the database", ".claude/trackers/backend-tracker.md"),
        ("qa", "", ".claude/trackers/qa.md"),
    ]

    listed = await cli("agent", "list", "demo", "--json")
    assert [a["name"] for a in json.loads(listed.stdout)] == ["backend", "qa"]
    table = await cli("agent", "list", "demo")
    assert "APIs and the database" in table.stdout

    removed = await cli("agent", "remove", "demo", "qa")
    assert (removed.code, removed.stdout) == (0, "removed agent qa from demo\n")
    assert [a[0] for a in await _roster(database, "demo")] == ["backend"]


async def test_roster_rules_surface_as_one_line(cli: Invoke, factory: Factory) -> None:
    root = await factory.user("root@example.com", admin=True)
    await factory.user("carol@example.com")
    await factory.project("demo", root)
    await factory.agent("demo", "backend")
    await factory.member("demo", "carol@example.com", Role.AGENT, "backend")

    assert_one_line_error(await cli("agent", "add", "demo", "backend"), 1, "already on the roster")
    assert_one_line_error(await cli("agent", "remove", "demo", "backend"), 1, "acts as agent")
    assert_one_line_error(await cli("agent", "remove", "demo", "qa"), 3, "no agent qa")
    assert_one_line_error(
        await cli("agent", "add", "demo", "qa", "--tracker-path", "../escape.md"),
        2,
        "relative path",
    )
    assert_one_line_error(await cli("agent", "add", "demo", "Bad Name"), 2, "agent name")
