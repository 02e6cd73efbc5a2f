"""LoginThrottle: keyed so that a guesser cannot keep a known person out from one address;
an admin's unlock; and a password change's current_password counted as a login guess."""

from __future__ import annotations

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.accounts import AuthService, UserService
from crewboard.services.core import (
    Actor,
    Forbidden,
    Invalid,
    RateLimited,
    Unauthenticated,
    unit_of_work,
)
from tests.support.database import events
from tests.support.factory import Factory
from tests.support.world import person

PASSWORD = "a long enough password"
ADMIN = "root@example.com"


async def _login(
    database: Database, settings: Settings, email: str, password: str, client: str
) -> None:
    async with unit_of_work(database, write=True) as session:
        await AuthService(session, settings).login(email, password, client)


async def _guess(
    database: Database, settings: Settings, email: str, client: str, times: int
) -> None:
    for _ in range(times):
        with pytest.raises((Unauthenticated, RateLimited)):
            await _login(database, settings, email, "a wrong guess", client)


async def test_guesses_from_one_address_do_not_keep_the_admin_out(
    database: Database, settings: Settings, factory: Factory
) -> None:
    """The attack review's lockout: five wrong passwords for the admin's e-mail used to lock
    it out from every address for the window, renewable for ever."""
    await factory.user(ADMIN, admin=True, password=PASSWORD)
    await _guess(database, settings, ADMIN, "203.0.113.9", settings.login_max_failures_per_email)
    with pytest.raises(RateLimited):  # the guesser's address is stopped for this e-mail
        await _login(database, settings, ADMIN, PASSWORD, "203.0.113.9")
    await _login(database, settings, ADMIN, PASSWORD, "198.51.100.7")  # the admin is not


async def test_many_addresses_reach_the_total_limit_and_an_admin_unlocks(
    database: Database, settings: Settings, factory: Factory
) -> None:
    limited = settings.model_copy(update={"login_max_failures_per_email_total": 4})
    ann = await factory.user("ann@example.com", password=PASSWORD)
    root = await factory.user(ADMIN, admin=True, password=PASSWORD)
    for n in range(4):
        await _guess(database, limited, "ann@example.com", f"203.0.113.{n}", 1)
    with pytest.raises(RateLimited):
        await _login(database, limited, "ann@example.com", PASSWORD, "198.51.100.7")
    async with unit_of_work(database, write=True) as session:
        with pytest.raises(Forbidden):
            await UserService(session, limited).unlock(person(ann, "ann@example.com"), ann)
    async with unit_of_work(database, write=True) as session:
        cleared = await UserService(session, limited).unlock(person(root, ADMIN, admin=True), ann)
    assert cleared == 4
    (event,) = await events(database, "user.unlocked")
    assert (event.subject, event.data) == (f"user:{ann}", {"failures_cleared": 4})
    await _login(database, limited, "ann@example.com", PASSWORD, "198.51.100.7")


async def _change(
    database: Database, settings: Settings, actor: Actor, current: str, client: str = "10.0.0.5"
) -> None:
    async with unit_of_work(database, write=True) as session:
        await UserService(session, settings).update_profile(
            actor, current_password=current, new_password="a brand new password", client=client
        )


async def test_current_password_guesses_are_counted_and_throttled(
    database: Database, settings: Settings, factory: Factory
) -> None:
    """A stolen session guessing the password through a password change is stopped like a
    login guesser, and its guesses count for the login too."""
    ann = await factory.user("ann@example.com", password=PASSWORD)
    actor = person(ann, "ann@example.com")
    for _ in range(settings.login_max_failures_per_email):
        with pytest.raises(Invalid) as wrong:
            await _change(database, settings, actor, "a wrong guess")
        assert wrong.value.details == {"field": "current_password"}
    with pytest.raises(RateLimited):
        await _change(database, settings, actor, PASSWORD)
    with pytest.raises(RateLimited):
        await _login(database, settings, "ann@example.com", PASSWORD, "10.0.0.5")
    await _change(database, settings, actor, PASSWORD, client="10.0.0.6")
