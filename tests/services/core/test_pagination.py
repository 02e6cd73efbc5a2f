"""Keyset pagination: opaque cursors, and every list service walking its rows exactly once."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.accounts import AuthService, UserService
from crewboard.services.core import Actor, Invalid, unit_of_work
from crewboard.services.core.pagination import (
    MAX_CURSOR_ID,
    Page,
    check_limit,
    decode_cursor,
    encode_cursor,
    page_of,
)
from crewboard.services.projects import ProjectService, Role, RosterService
from tests.support.factory import Factory

SYSTEM = Actor.system()
Fetch = Callable[[str | None], Awaitable[tuple[list[str], str | None]]]


def _raw(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("last_id", [0, 1, 7, 255, 65_536, MAX_CURSOR_ID])
def test_cursors_round_trip(last_id: int) -> None:
    cursor = encode_cursor(last_id)
    assert "=" not in cursor
    assert str(last_id) not in cursor  # opaque, not a bare number
    assert decode_cursor(cursor) == last_id


def test_no_cursor_means_the_first_page() -> None:
    assert decode_cursor(None) is None


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!!",
        "not base64 at all",
        _raw("id:"),
        _raw("id:abc"),
        _raw("id:-1"),
        _raw("id:1.5"),
        _raw("page:3"),
        _raw(f"id:{MAX_CURSOR_ID + 1}"),
        _raw("id:" + "9" * 40),
        base64.urlsafe_b64encode(b"id:\xff\xfe").decode(),
    ],
)
def test_a_malformed_cursor_is_an_error_not_page_one(cursor: str) -> None:
    with pytest.raises(Invalid) as caught:
        decode_cursor(cursor)
    assert caught.value.detail_code == "invalid-cursor"


@pytest.mark.parametrize("limit", [0, -1, 201])
def test_limits_are_bounded(limit: int) -> None:
    with pytest.raises(Invalid):
        check_limit(limit)


def test_page_of_uses_the_extra_row_to_tell_there_is_more() -> None:
    assert page_of([1, 2, 3, 4], 3, lambda n: n) == Page([1, 2, 3], encode_cursor(3))
    assert page_of([1, 2, 3], 3, lambda n: n) == Page([1, 2, 3], None)
    assert page_of([], 3, lambda n: n) == Page([], None)


async def test_a_huge_cursor_is_refused_by_a_service(database: Database) -> None:
    """A forged cursor beyond the id range is a 4xx, not a driver error."""
    with pytest.raises(Invalid):
        async with unit_of_work(database, write=False) as session:
            await UserService(session).list(SYSTEM, cursor=_raw("id:" + "9" * 20))


async def _walk(fetch: Fetch) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(20):
        items, cursor = await fetch(cursor)
        assert len(items) <= 3
        seen.extend(items)
        if cursor is None:
            return seen
    raise AssertionError("the pages never ended")


def _check(seen: list[str], expected: list[str]) -> None:
    assert len(seen) == len(set(seen)), f"duplicates in {seen}"
    assert seen == expected


async def test_users_page_through_exactly_once(database: Database, factory: Factory) -> None:
    emails = [f"user{i}@example.com" for i in range(7)]
    for email in emails:
        await factory.user(email)

    async def fetch(cursor: str | None) -> tuple[list[str], str | None]:
        async with unit_of_work(database, write=False) as session:
            page = await UserService(session).list(SYSTEM, cursor=cursor, limit=3)
        return [u.email for u in page.items], page.next_cursor

    _check(await _walk(fetch), emails)


async def test_projects_page_through_exactly_once(database: Database, factory: Factory) -> None:
    owner = await factory.user("owner@example.com")
    other = await factory.user("other@example.com")
    slugs = [f"p{i}" for i in range(7)]
    for i, slug in enumerate(slugs):
        await factory.project(slug, owner)
        await factory.project(f"theirs{i}", other)  # interleaved rows the owner must not see
    me = Actor(user_id=owner, label="owner@example.com")

    async def fetch(cursor: str | None) -> tuple[list[str], str | None]:
        async with unit_of_work(database, write=False) as session:
            page = await ProjectService(session).list(me, cursor=cursor, limit=3)
        return [p.slug for p in page.items], page.next_cursor

    _check(await _walk(fetch), slugs)


async def test_members_page_through_exactly_once(database: Database, factory: Factory) -> None:
    owner = await factory.user("owner@example.com")
    await factory.project("web", owner)
    emails = ["owner@example.com"]
    for i in range(6):
        email = f"member{i}@example.com"
        await factory.user(email)
        await factory.member("web", email, Role.MEMBER)
        emails.append(email)

    async def fetch(cursor: str | None) -> tuple[list[str], str | None]:
        async with unit_of_work(database, write=False) as session:
            page = await ProjectService(session).list_members(SYSTEM, "web", cursor=cursor, limit=3)
        return [v.user.email for v in page.items], page.next_cursor

    _check(await _walk(fetch), emails)


async def test_agents_page_through_exactly_once(database: Database, factory: Factory) -> None:
    owner = await factory.user("owner@example.com")
    await factory.project("web", owner)
    await factory.project("other", owner)
    names = [f"agent{i}" for i in range(7)]
    for name in names:
        await factory.agent("web", name)
        await factory.agent("other", name)

    async def fetch(cursor: str | None) -> tuple[list[str], str | None]:
        async with unit_of_work(database, write=False) as session:
            page = await RosterService(session).list(SYSTEM, "web", cursor=cursor, limit=3)
        return [a.name for a in page.items], page.next_cursor

    _check(await _walk(fetch), names)


async def test_tokens_page_through_exactly_once(
    database: Database, settings: Settings, factory: Factory
) -> None:
    mine = await factory.user("me@example.com")
    theirs = await factory.user("them@example.com")
    hints: list[str] = []
    for _ in range(7):
        token = await factory.token(mine)
        hints.append(token[:10])
        await factory.token(theirs)
    me = Actor(user_id=mine, label="me@example.com")

    async def fetch(cursor: str | None) -> tuple[list[str], str | None]:
        async with unit_of_work(database, write=False) as session:
            page = await AuthService(session, settings).list_tokens(me, cursor=cursor, limit=3)
        return [t.hint for t in page.items], page.next_cursor

    _check(await _walk(fetch), hints)
