"""``crewboard token``: create (alone on stdout), list, revoke."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import utcnow
from crewboard.services.accounts.auth import Authenticated, AuthService
from crewboard.services.core import Unauthenticated, unit_of_work
from crewboard.services.projects import Role
from tests.cli.conftest import Invoke
from tests.support.cli import assert_one_line_error
from tests.support.database import row_counts
from tests.support.factory import Factory


async def _authenticate(database: Database, settings: Settings, token: str) -> Authenticated:
    async with unit_of_work(database, write=False) as session:
        return await AuthService(session, settings).authenticate(token)


async def _crew(factory: Factory) -> tuple[int, int]:
    """root (admin) owns project demo with agent backend; bob is a member. Their ids."""
    root = await factory.user("root@example.com", admin=True)
    bob = await factory.user("bob@example.com")
    await factory.project("demo", root)
    await factory.agent("demo", "backend")
    await factory.member("demo", "bob@example.com", Role.MEMBER)
    return root, bob


@pytest.mark.e2e
async def test_agent_token_alone_on_stdout(
    cli_process: Invoke, factory: Factory, database: Database, settings: Settings
) -> None:
    """``TOKEN=$(crewboard token create ...)`` gets exactly the token."""
    await _crew(factory)
    result = await cli_process(
        "token",
        "create",
        "--user",
        "bob@example.com",
        "--project",
        "demo",
        "--agent",
        "backend",
        "--expires-in",
        "30d",
        "--name",
        "ci",
    )
    assert result.code == 0, result
    assert result.stdout.endswith("\n")
    assert result.stdout.count("\n") == 1
    token = result.stdout.strip()
    assert token.startswith("cb_")
    assert token not in result.stderr  # the note on stderr never repeats the secret
    actor = (await _authenticate(database, settings, token)).actor
    assert (actor.label, actor.project_slug, actor.agent_name) == (
        "backend (bob@example.com)",
        "demo",
        "backend",
    )


async def test_read_only_json_and_lifetime(
    cli: Invoke, factory: Factory, database: Database, settings: Settings
) -> None:
    await _crew(factory)
    result = await cli(
        "token",
        "create",
        "--user",
        "bob@example.com",
        "--expires-in",
        "2h",
        "--read-only",
        "--json",
    )
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["scopes"] == ["read"]
    assert data["agent_name"] is None
    auth = await _authenticate(database, settings, data["token"])
    assert auth.actor.scopes == frozenset({"read"})
    async with unit_of_work(database, write=False) as session:
        page = await AuthService(session, settings).list_tokens(auth.actor)
    lifetime = page.items[0].expires_at - utcnow()
    assert timedelta(hours=1, minutes=58) < lifetime <= timedelta(hours=2)


async def test_list_and_revoke(
    cli: Invoke, factory: Factory, database: Database, settings: Settings
) -> None:
    root, bob = await _crew(factory)
    root_token = await factory.token(root)
    bob_token = (await cli("token", "create", "--user", "bob@example.com")).stdout.strip()

    everyone = json.loads((await cli("token", "list", "--json")).stdout)
    assert [t["user_id"] for t in everyone] == [root, bob]
    assert all("token" not in t for t in everyone)
    bobs = json.loads((await cli("token", "list", "--user", "bob@example.com", "--json")).stdout)
    assert len(bobs) == 1
    table = await cli("token", "list")
    assert "bob@example.com" in table.stdout
    assert "active" in table.stdout
    assert bob_token not in table.stdout
    assert root_token not in table.stdout

    revoked = await cli("token", "revoke", str(bobs[0]["id"]))
    assert (revoked.code, revoked.stdout) == (0, f"revoked token {bobs[0]['id']}\n")
    with pytest.raises(Unauthenticated):
        await _authenticate(database, settings, bob_token)
    await _authenticate(database, settings, root_token)  # the other one still works
    assert "revoked" in (await cli("token", "list")).stdout


async def test_token_rules_surface_as_one_line(
    cli: Invoke, factory: Factory, database: Database
) -> None:
    await _crew(factory)
    await factory.user("eve@example.com")
    before = await row_counts(database)
    assert_one_line_error(await cli("token", "revoke", "999"), 3, "token not found")
    assert_one_line_error(
        await cli("token", "create", "--user", "bob@example.com", "--project", "demo"),
        2,
        "both a project and an agent",
    )
    assert_one_line_error(
        await cli("token", "create", "--user", "bob@example.com", "--expires-in", "9999w"),
        2,
        "from 1 minute to",
    )
    assert_one_line_error(
        await cli(
            "token",
            "create",
            "--user",
            "eve@example.com",
            "--project",
            "demo",
            "--agent",
            "backend",
        ),
        4,
        "may not act as agent backend",
    )
    assert_one_line_error(
        await cli("token", "create", "--user", "nobody@example.com"), 3, "no user"
    )
    assert await row_counts(database) == before
