"""``crewboard project`` and ``crewboard member``."""

from __future__ import annotations

import json

from crewboard.database import Database
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.projects import MemberView, ProjectService
from tests.cli.conftest import Invoke
from tests.support.cli import assert_one_line_error
from tests.support.database import row_counts
from tests.support.factory import Factory

SYSTEM = Actor.system()


async def _members(database: Database, slug: str) -> list[MemberView]:
    async with unit_of_work(database, write=False) as session:
        return (await ProjectService(session).list_members(SYSTEM, slug)).items


async def test_create_with_owner(cli: Invoke, factory: Factory, database: Database) -> None:
    await factory.user("root@example.com", admin=True)
    await factory.user("alice@example.com")
    result = await cli(
        "project",
        "create",
        "demo",
        "--name",
        "Demo app",
        "--owner",
        "alice@example.com",
        "--repo-path",
        "/srv/demo",
        "--json",
    )
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert (data["slug"], data["name"], data["repo_path"]) == ("demo", "Demo app", "/srv/demo")
    members = await _members(database, "demo")
    assert [(m.user.email, m.member.role) for m in members] == [("alice@example.com", "owner")]


async def test_create_defaults_to_the_only_admin(
    cli: Invoke, factory: Factory, database: Database
) -> None:
    await factory.user("root@example.com", admin=True)
    await factory.user("alice@example.com")
    result = await cli("project", "create", "demo")
    assert result.code == 0, result
    members = await _members(database, "demo")
    assert result.stdout == f"created project demo (id {members[0].member.project_id})\n"
    assert [(m.user.email, m.member.role) for m in members] == [("root@example.com", "owner")]


async def test_create_without_owner_needs_exactly_one_admin(
    cli: Invoke, factory: Factory, database: Database
) -> None:
    before = await row_counts(database)
    assert_one_line_error(
        await cli("project", "create", "demo"), 2, "--owner", "no single active admin"
    )
    assert await row_counts(database) == before
    await factory.user("root@example.com", admin=True)
    await factory.user("root2@example.com", admin=True)
    before = await row_counts(database)
    assert_one_line_error(await cli("project", "create", "demo"), 2, "no single active admin")
    assert await row_counts(database) == before


async def test_duplicate_project(cli: Invoke, factory: Factory) -> None:
    root = await factory.user("root@example.com", admin=True)
    await factory.project("demo", root)
    assert_one_line_error(await cli("project", "create", "demo"), 1, "project demo exists")


async def test_list(cli: Invoke, factory: Factory) -> None:
    root = await factory.user("root@example.com", admin=True)
    await factory.project("demo", root)
    await factory.project("web", root)
    listed = await cli("project", "list", "--json")
    assert [p["slug"] for p in json.loads(listed.stdout)] == ["demo", "web"]
    table = await cli("project", "list")
    assert table.code == 0
    assert "demo" in table.stdout
    assert "web" in table.stdout


async def test_members_add_list_remove(cli: Invoke, factory: Factory, database: Database) -> None:
    root = await factory.user("root@example.com", admin=True)
    await factory.user("bob@example.com")
    await factory.user("carol@example.com")
    await factory.project("demo", root)
    await factory.agent("demo", "backend")

    added = await cli("member", "add", "demo", "bob@example.com", "--role", "member")
    assert (added.code, added.stdout) == (0, "bob@example.com is member of demo\n")
    as_agent = await cli(
        "member",
        "add",
        "demo",
        "carol@example.com",
        "--role",
        "agent",
        "--agent",
        "backend",
        "--json",
    )
    assert json.loads(as_agent.stdout)["agent_name"] == "backend"
    # Adding again changes the role.
    await cli("member", "add", "demo", "bob@example.com", "--role", "VIEWER")

    members = {
        m.user.email: (m.member.role, m.member.agent_name) for m in await _members(database, "demo")
    }
    assert members == {
        "root@example.com": ("owner", None),
        "bob@example.com": ("viewer", None),
        "carol@example.com": ("agent", "backend"),
    }
    listed = await cli("member", "list", "demo", "--json")
    assert [(m["email"], m["role"]) for m in json.loads(listed.stdout)] == [
        ("root@example.com", "owner"),
        ("bob@example.com", "viewer"),
        ("carol@example.com", "agent"),
    ]
    table = await cli("member", "list", "demo")
    assert "carol@example.com" in table.stdout
    assert "backend" in table.stdout

    removed = await cli("member", "remove", "demo", "bob@example.com")
    assert (removed.code, removed.stdout) == (0, "removed bob@example.com from demo\n")
    assert len(await _members(database, "demo")) == 2


async def test_member_rules_surface_as_one_line(
    cli: Invoke, factory: Factory, database: Database
) -> None:
    root = await factory.user("root@example.com", admin=True)
    await factory.user("bob@example.com")
    await factory.project("demo", root)
    before = await row_counts(database)
    assert_one_line_error(
        await cli("member", "add", "demo", "bob@example.com", "--role", "agent"),
        2,
        "agent role",
    )
    assert_one_line_error(
        await cli("member", "add", "demo", "bob@example.com", "--role", "agent", "--agent", "qa"),
        3,
        "no agent qa",
    )
    assert_one_line_error(await cli("member", "remove", "demo", "root@example.com"), 1, "owner")
    assert_one_line_error(
        await cli("member", "remove", "demo", "bob@example.com"), 3, "member not found"
    )
    assert_one_line_error(await cli("member", "list", "nope"), 3, "project nope not found")
    assert await row_counts(database) == before
