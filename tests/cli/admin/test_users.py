"""``crewboard user``: create, list, disable, enable, set-password, unlock."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Event, User
from crewboard.services.accounts import AuthService, UserService
from crewboard.services.core import Actor, RateLimited, Unauthenticated, unit_of_work
from tests.cli.conftest import Invoke
from tests.support.cli import assert_one_line_error
from tests.support.database import row_counts
from tests.support.factory import Factory

SYSTEM = Actor.system()


async def _user(database: Database, email: str) -> User:
    async with unit_of_work(database, write=False) as session:
        return await UserService(session).by_email(SYSTEM, email)


async def _login(database: Database, settings: Settings, email: str, password: str) -> bool:
    try:
        async with unit_of_work(database, write=True) as session:
            await AuthService(session, settings).login(email, password, "cli-test")
    except Unauthenticated:
        return False
    return True


async def test_create_admin_with_password_from_stdin(
    cli: Invoke, database: Database, settings: Settings
) -> None:
    result = await cli(
        "user",
        "create",
        "Ada@Example.com",
        "--name",
        "Ada L",
        "--admin",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert result.code == 0, result
    user = await _user(database, "ada@example.com")
    assert result.stdout == f"created user ada@example.com (id {user.id}, admin)\n"
    assert result.stderr == ""
    assert (user.name, user.is_admin) == ("Ada L", True)
    # Stored hashed (Argon2id), never as typed; the newline is not part of the password.
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert "correct horse" not in user.password_hash
    assert await _login(database, settings, "ada@example.com", "correct horse battery")
    assert not await _login(database, settings, "ada@example.com", "correct horse battery\n")


async def test_create_without_password_and_json(cli: Invoke, database: Database) -> None:
    result = await cli("user", "create", "bob@example.com", "--json")
    assert result.code == 0, result
    data = json.loads(result.stdout)
    user = await _user(database, "bob@example.com")
    assert data["id"] == user.id
    assert (data["email"], data["name"], data["is_admin"]) == ("bob@example.com", "bob", False)
    assert data["disabled_at"] is None
    assert "password_hash" not in data
    assert user.password_hash is None  # signs in by token only


async def test_create_refuses_a_short_password_before_touching_the_database(
    cli: Invoke, database: Database
) -> None:
    before = await row_counts(database)
    result = await cli("user", "create", "x@example.com", "--password-stdin", stdin="short\n")
    assert_one_line_error(result, 2, "8 to 256 characters")
    assert await row_counts(database) == before


async def test_list_as_table_and_json(cli: Invoke, factory: Factory) -> None:
    await factory.user("root@example.com", admin=True, name="Root")
    await factory.user("bob@example.com")

    listed = await cli("user", "list", "--json")
    assert listed.code == 0, listed
    rows = json.loads(listed.stdout)
    assert [(r["email"], r["is_admin"]) for r in rows] == [
        ("root@example.com", True),
        ("bob@example.com", False),
    ]

    table = await cli("user", "list")
    assert table.code == 0, table
    assert "root@example.com" in table.stdout
    assert "bob@example.com" in table.stdout
    assert "Root" in table.stdout
    assert "active" in table.stdout


async def test_list_empty(cli: Invoke) -> None:
    assert (await cli("user", "list", "--json")).stdout.strip() == "[]"
    assert (await cli("user", "list")).stdout.strip() == "no users"


async def test_disable_and_enable(
    cli: Invoke, factory: Factory, database: Database, settings: Settings
) -> None:
    await factory.user("root@example.com", admin=True)
    bob = await factory.user("bob@example.com")
    token = await factory.token(bob)

    result = await cli("user", "disable", "BOB@example.com")
    assert (result.code, result.stdout) == (0, "disabled user bob@example.com\n")
    assert (await _user(database, "bob@example.com")).disabled_at is not None
    with pytest.raises(Unauthenticated):
        async with unit_of_work(database, write=False) as session:
            await AuthService(session, settings).authenticate(token)

    result = await cli("user", "enable", "bob@example.com")
    assert (result.code, result.stdout) == (0, "enabled user bob@example.com\n")
    assert (await _user(database, "bob@example.com")).disabled_at is None


async def test_disabling_the_last_admin_is_a_conflict(cli: Invoke, factory: Factory) -> None:
    await factory.user("root@example.com", admin=True)
    result = await cli("user", "disable", "root@example.com")
    assert_one_line_error(result, 1, "last active admin")


async def test_set_password(
    cli: Invoke, factory: Factory, database: Database, settings: Settings
) -> None:
    await factory.user("bob@example.com", password="old-password")
    result = await cli(
        "user", "set-password", "bob@example.com", "--password-stdin", stdin="new-password\r\n"
    )
    assert (result.code, result.stdout) == (0, "password set for bob@example.com\n")
    assert await _login(database, settings, "bob@example.com", "new-password")
    assert not await _login(database, settings, "bob@example.com", "old-password")
    async with unit_of_work(database, write=False) as session:
        kinds = (await session.scalars(select(Event.kind).order_by(Event.id))).all()
    assert kinds[-1] == "user.updated"


async def test_set_password_needs_stdin(cli: Invoke, factory: Factory) -> None:
    await factory.user("bob@example.com", password="old-password")
    assert_one_line_error(
        await cli("user", "set-password", "bob@example.com"), 2, "--password-stdin"
    )
    assert_one_line_error(
        await cli("user", "set-password", "bob@example.com", "--password-stdin"),
        2,
        "no password on standard input",
    )


async def test_unknown_user(cli: Invoke) -> None:
    assert_one_line_error(
        await cli("user", "disable", "nobody@example.com"), 3, "no user with e-mail"
    )


async def test_unlock_forgets_the_failed_attempts(
    cli: Invoke, factory: Factory, database: Database, settings: Settings
) -> None:
    await factory.user("bob@example.com", password="the-password")
    for _ in range(settings.login_max_failures_per_email):
        assert not await _login(database, settings, "bob@example.com", "a wrong guess")
    with pytest.raises(RateLimited):
        await _login(database, settings, "bob@example.com", "the-password")
    result = await cli("user", "unlock", "bob@example.com")
    expected = f"unlocked bob@example.com: {settings.login_max_failures_per_email} failed"
    assert (result.code, result.stdout.startswith(expected)) == (0, True)
    assert await _login(database, settings, "bob@example.com", "the-password")
    before = await row_counts(database)
    assert_one_line_error(await cli("user", "unlock", "nobody@example.com"), 3, "no user")
    assert await row_counts(database) == before
