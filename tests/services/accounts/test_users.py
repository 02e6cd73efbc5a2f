"""UserService: creating, changing, disabling people; the last admin; profiles and passwords."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.database import Database
from crewboard.models import User
from crewboard.services.accounts import UserService
from crewboard.services.accounts.credentials import verify_password
from crewboard.services.core import Actor, Conflict, Forbidden, Invalid, NotFound, unit_of_work
from tests.support.database import events
from tests.support.factory import Factory
from tests.support.world import person

SYSTEM = Actor.system()


async def _load(database: Database, user_id: int) -> User:
    async with unit_of_work(database, write=False) as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user


async def test_create_normalises_email_and_records_an_event(database: Database) -> None:
    async with unit_of_work(database, write=True) as session:
        user = await UserService(session).create(SYSTEM, email="  Ann.Lee@Example.COM ")
    stored = await _load(database, user.id)
    assert stored.email == "ann.lee@example.com"
    assert stored.name == "ann.lee"  # defaults to the local part
    assert stored.password_hash is None
    assert stored.is_admin is False
    assert stored.disabled_at is None
    [event] = await events(database, "user.created")
    assert (event.subject, event.actor, event.project_id) == (f"user:{user.id}", "system", None)
    assert event.data == {"email": "ann.lee@example.com", "admin": False}


async def test_duplicate_email_is_refused_whatever_its_case(
    database: Database, factory: Factory
) -> None:
    await factory.user("ann@example.com")
    with pytest.raises(Conflict) as caught:
        async with unit_of_work(database, write=True) as session:
            await UserService(session).create(SYSTEM, email="ANN@example.com", name="Other Ann")
    assert caught.value.detail_code == "duplicate"
    assert len(await events(database, "user.created")) == 1  # the refused one left no trace
    async with unit_of_work(database, write=False) as session:
        assert await UserService(session).count() == 1


async def test_only_an_admin_with_write_access_creates_users(
    database: Database, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    root = await factory.user("root@example.com", admin=True)
    for actor in (
        person(ann, "ann@example.com"),
        person(root, "root@example.com", admin=True, read_only=True),
    ):
        with pytest.raises(Forbidden):
            async with unit_of_work(database, write=True) as session:
                await UserService(session).create(actor, email="new@example.com")
    async with unit_of_work(database, write=True) as session:
        created = await UserService(session).create(
            person(root, "root@example.com", admin=True), email="new@example.com", name="New"
        )
    assert created.name == "New"
    [*_, event] = await events(database, "user.created")
    assert event.actor == "root@example.com"


async def test_password_is_stored_as_argon2id_never_plain(database: Database) -> None:
    async with unit_of_work(database, write=True) as session:
        user = await UserService(session).create(
            SYSTEM, email="ann@example.com", password="correct horse battery"
        )
    stored = await _load(database, user.id)
    assert stored.password_hash is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert "correct horse battery" not in stored.password_hash
    assert await verify_password(stored.password_hash, "correct horse battery")
    assert not await verify_password(stored.password_hash, "wrong horse battery")


@pytest.mark.parametrize("password", ["short", "x" * 257])
async def test_password_length_is_bounded(database: Database, password: str) -> None:
    with pytest.raises(Invalid):
        async with unit_of_work(database, write=True) as session:
            await UserService(session).create(SYSTEM, email="ann@example.com", password=password)
    async with unit_of_work(database, write=False) as session:
        assert await UserService(session).count() == 0


async def test_update_renames_promotes_disables_and_enables(
    database: Database, factory: Factory
) -> None:
    await factory.user("root@example.com", admin=True)
    ann = await factory.user("ann@example.com")
    async with unit_of_work(database, write=True) as session:
        await UserService(session).update(SYSTEM, ann, name="Ann Lee", is_admin=True)
    stored = await _load(database, ann)
    assert (stored.name, stored.is_admin) == ("Ann Lee", True)

    async with unit_of_work(database, write=True) as session:
        await UserService(session).update(SYSTEM, ann, disabled=True)
    assert (await _load(database, ann)).disabled_at is not None

    async with unit_of_work(database, write=True) as session:
        await UserService(session).update(SYSTEM, ann, disabled=False, is_admin=False)
    stored = await _load(database, ann)
    assert (stored.disabled_at, stored.is_admin) == (None, False)

    recorded = [(e.subject, e.data) for e in await events(database, "user.updated")]
    assert recorded == [
        (f"user:{ann}", {"name": "Ann Lee", "admin": True}),
        (f"user:{ann}", {"disabled": True}),
        (f"user:{ann}", {"admin": False, "disabled": False}),
    ]


async def test_an_update_that_changes_nothing_records_nothing(
    database: Database, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    async with unit_of_work(database, write=True) as session:
        await UserService(session).update(SYSTEM, ann, is_admin=False, disabled=False)
    assert await events(database, "user.updated") == []


@pytest.mark.parametrize("change", ["demote", "disable"])
async def test_the_last_active_admin_stays(
    database: Database, factory: Factory, change: str
) -> None:
    root = await factory.user("root@example.com", admin=True)
    second = await factory.user("second@example.com", admin=True)
    root_actor = person(root, "root@example.com", admin=True)

    async def lose_admin(session: AsyncSession, name: str | None = None) -> None:
        if change == "demote":
            await UserService(session).update(root_actor, root, name=name, is_admin=False)
        else:
            await UserService(session).update(root_actor, root, name=name, disabled=True)

    # A disabled admin does not count as the one that remains.
    async with unit_of_work(database, write=True) as session:
        await UserService(session).update(root_actor, second, disabled=True)
    with pytest.raises(Conflict) as caught:
        async with unit_of_work(database, write=True) as session:
            await lose_admin(session, name="Renamed")
    assert caught.value.detail_code == "last-admin"
    stored = await _load(database, root)
    assert (stored.is_admin, stored.disabled_at, stored.name) == (True, None, "root")
    assert len(await events(database, "user.updated")) == 1  # only the disabling of `second`

    # With another active admin the change goes through.
    async with unit_of_work(database, write=True) as session:
        await UserService(session).update(root_actor, second, disabled=False)
        await lose_admin(session)


async def test_get_shows_admins_everyone_and_people_themselves(
    database: Database, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    bob = await factory.user("bob@example.com")
    async with unit_of_work(database, write=False) as session:
        users = UserService(session)
        assert (await users.get(person(ann, "ann@example.com"), ann)).email == "ann@example.com"
        with pytest.raises(NotFound):
            await users.get(person(ann, "ann@example.com"), bob)
        assert (await users.get(SYSTEM, bob)).email == "bob@example.com"
        with pytest.raises(NotFound):
            await users.get(SYSTEM, bob + 100)
        assert (await users.by_email(SYSTEM, " BOB@example.com")).id == bob
        with pytest.raises(NotFound):
            await users.by_email(SYSTEM, "nobody@example.com")
        with pytest.raises(Forbidden):
            await users.by_email(person(ann, "ann@example.com"), "bob@example.com")
        with pytest.raises(Forbidden):
            await users.list(person(ann, "ann@example.com"))


async def test_profile_password_change_needs_the_current_password(
    database: Database, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com", password="first password")
    me = person(ann, "ann@example.com")
    for current in (None, "wrong password"):
        with pytest.raises(Invalid) as caught:
            async with unit_of_work(database, write=True) as session:
                await UserService(session).update_profile(
                    me, name="Ann", current_password=current, new_password="second password"
                )
        assert caught.value.details == {"field": "current_password"}
    stored = await _load(database, ann)
    assert stored.name == "ann"  # the rename in the refused request did not stick
    assert await verify_password(stored.password_hash, "first password")

    async with unit_of_work(database, write=True) as session:
        await UserService(session).update_profile(
            me, name="Ann", current_password="first password", new_password="second password"
        )
    stored = await _load(database, ann)
    assert stored.name == "Ann"
    assert stored.password_hash is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert await verify_password(stored.password_hash, "second password")
    [event] = await events(database, "user.updated")
    assert event.data == {"fields": ["name", "password"], "sessions_ended": 0}
    assert "second password" not in str(event.data)


async def test_profile_rename_alone_needs_no_password(database: Database, factory: Factory) -> None:
    ann = await factory.user("ann@example.com")
    async with unit_of_work(database, write=True) as session:
        user = await UserService(session).update_profile(
            person(ann, "ann@example.com"), name="  Ann Lee  "
        )
    assert user.name == "Ann Lee"


async def test_profiles_belong_to_people_with_write_access(
    database: Database, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    agent = Actor(user_id=ann, label="backend (ann@example.com)", agent_name="backend")
    for actor in (agent, person(ann, "ann@example.com", read_only=True), SYSTEM):
        with pytest.raises(Forbidden):
            async with unit_of_work(database, write=True) as session:
                await UserService(session).update_profile(actor, name="Renamed")
    assert (await _load(database, ann)).name == "ann"


async def _sole_admin(database: Database) -> str | None:
    async with unit_of_work(database, write=False) as session:
        admin = await UserService(session).sole_admin(SYSTEM)
        return admin.email if admin else None


async def test_the_sole_active_admin(database: Database, factory: Factory) -> None:
    assert await _sole_admin(database) is None
    first = await factory.user("first@example.com", admin=True)
    await factory.user("plain@example.com")
    assert await _sole_admin(database) == "first@example.com"
    second = await factory.user("second@example.com", admin=True)
    assert await _sole_admin(database) is None
    async with unit_of_work(database, write=True) as session:
        await UserService(session).update(SYSTEM, first, disabled=True)
    assert await _sole_admin(database) == "second@example.com"
    with pytest.raises(Forbidden):
        async with unit_of_work(database, write=False) as session:
            await UserService(session).sole_admin(person(second, "second@example.com"))
