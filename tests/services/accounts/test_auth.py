"""AuthService: password logins and their throttling, authenticating credentials, setup."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import AuthSession, LoginAttempt, SetupSecret, User, utcnow
from crewboard.services.accounts import AuthService, UserService
from crewboard.services.accounts.credentials import hash_token
from crewboard.services.core import (
    Actor,
    Conflict,
    Forbidden,
    RateLimited,
    Unauthenticated,
    unit_of_work,
)
from tests.support.factory import Factory

PASSWORD = "a long enough password"


async def _login(database: Database, settings: Settings, email: str, password: str) -> str:
    async with unit_of_work(database, write=True) as session:
        issued, _ = await AuthService(session, settings).login(email, password, "10.0.0.1")
        return issued.token


async def _attempts(database: Database) -> list[tuple[str, str, bool]]:
    async with unit_of_work(database, write=False) as session:
        rows = await session.scalars(select(LoginAttempt).order_by(LoginAttempt.id))
        return [(a.email, a.client, a.succeeded) for a in rows]


async def _set(database: Database, token: str, **values: object) -> None:
    async with unit_of_work(database, write=True) as session:
        await session.execute(
            update(AuthSession).where(AuthSession.token_hash == hash_token(token)).values(values)
        )


# -- login ------------------------------------------------------------------------------


async def test_login_opens_a_web_session(
    database: Database, settings: Settings, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com", password=PASSWORD)
    async with unit_of_work(database, write=True) as session:
        issued, user = await AuthService(session, settings).login(
            "  Ann@Example.com ", PASSWORD, "10.0.0.1"
        )
    assert user.id == ann
    assert issued.token.startswith("cb_")
    assert issued.record.kind == "web"
    assert issued.record.token_hash == hash_token(issued.token)
    lifetime = issued.record.expires_at - issued.record.created_at
    assert abs(lifetime - timedelta(hours=settings.web_session_hours)) < timedelta(minutes=1)
    assert await _attempts(database) == [("ann@example.com", "10.0.0.1", True)]
    async with unit_of_work(database, write=False) as session:
        found = await AuthService(session, settings).authenticate(issued.token)
    assert (found.kind, found.actor.user_id, found.actor.label) == ("web", ann, "ann@example.com")


@pytest.mark.parametrize("case", ["wrong password", "unknown e-mail", "disabled", "no password"])
async def test_a_refused_login_is_still_recorded(
    database: Database, settings: Settings, factory: Factory, case: str
) -> None:
    await factory.user("root@example.com", admin=True)
    ann = await factory.user(
        "ann@example.com", password=None if case == "no password" else PASSWORD
    )
    email, password = "ann@example.com", PASSWORD
    if case == "wrong password":
        password = "not the password"
    elif case == "unknown e-mail":
        email = "nobody@example.com"
    elif case == "disabled":
        async with unit_of_work(database, write=True) as session:
            await UserService(session).update(Actor.system(), ann, disabled=True)
    with pytest.raises(Unauthenticated) as caught:
        await _login(database, settings, email, password)
    assert caught.value.detail_code == "bad-login"
    # The unit of work failed, yet the attempt was committed (keep_changes).
    assert await _attempts(database) == [(email, "10.0.0.1", False)]
    async with unit_of_work(database, write=False) as session:
        assert (await session.scalars(select(AuthSession))).all() == []


async def test_failures_are_throttled_per_email(
    database: Database, settings: Settings, factory: Factory
) -> None:
    limited = settings.model_copy(update={"login_max_failures_per_email": 2})
    await factory.user("ann@example.com", password=PASSWORD)
    await factory.user("bob@example.com", password=PASSWORD)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            await _login(database, limited, "ann@example.com", "not the password")
    # Now even the right password is refused for this e-mail, whatever its case...
    with pytest.raises(RateLimited) as caught:
        await _login(database, limited, "ANN@example.com", PASSWORD)
    assert caught.value.retry_after == limited.login_window_seconds
    assert caught.value.details == {"retry_after": limited.login_window_seconds}
    # ...and a refusal for being throttled is not itself counted.
    assert len(await _attempts(database)) == 2
    # Another e-mail from the same client is not affected.
    assert await _login(database, limited, "bob@example.com", PASSWORD)


async def test_failures_are_throttled_per_client(
    database: Database, settings: Settings, factory: Factory
) -> None:
    limited = settings.model_copy(update={"login_max_failures_per_client": 2})
    await factory.user("ann@example.com", password=PASSWORD)
    for email in ("x@example.com", "y@example.com"):
        with pytest.raises(Unauthenticated):
            await _login(database, limited, email, PASSWORD)
    with pytest.raises(RateLimited):
        await _login(database, limited, "ann@example.com", PASSWORD)
    # The same account from another client still works.
    async with unit_of_work(database, write=True) as session:
        issued, _ = await AuthService(session, limited).login(
            "ann@example.com", PASSWORD, "10.0.0.2"
        )
    assert issued.token


async def test_failures_older_than_the_window_are_forgotten(
    database: Database, settings: Settings, factory: Factory
) -> None:
    limited = settings.model_copy(update={"login_max_failures_per_email": 1})
    await factory.user("ann@example.com", password=PASSWORD)
    old = utcnow() - timedelta(seconds=limited.login_window_seconds + 60)
    async with unit_of_work(database, write=True) as session:
        session.add(
            LoginAttempt(email="ann@example.com", client="10.0.0.9", at=old, succeeded=False)
        )
    assert await _login(database, limited, "ann@example.com", PASSWORD)
    # The stale attempt was pruned on the way.
    assert await _attempts(database) == [("ann@example.com", "10.0.0.1", True)]


async def test_successful_logins_do_not_count_towards_the_limit(
    database: Database, settings: Settings, factory: Factory
) -> None:
    limited = settings.model_copy(update={"login_max_failures_per_email": 1})
    await factory.user("ann@example.com", password=PASSWORD)
    for _ in range(2):
        assert await _login(database, limited, "ann@example.com", PASSWORD)


async def test_logout_revokes_the_session(
    database: Database, settings: Settings, factory: Factory
) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    token = await _login(database, settings, "ann@example.com", PASSWORD)
    async with unit_of_work(database, write=True) as session:
        auth = AuthService(session, settings)
        await auth.logout((await auth.authenticate(token)).actor)
    with pytest.raises(Unauthenticated) as caught:
        async with unit_of_work(database, write=False) as session:
            await AuthService(session, settings).authenticate(token)
    assert caught.value.detail_code == "revoked-token"


# -- authenticate -----------------------------------------------------------------------


async def test_authenticate_a_person_token(
    database: Database, settings: Settings, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com", admin=True)
    token = await factory.token(ann)
    async with unit_of_work(database, write=False) as session:
        found = await AuthService(session, settings).authenticate(token)
    actor = found.actor
    assert found.kind == "api"
    assert found.needs_touch  # never used before
    assert (actor.user_id, actor.label, actor.is_admin) == (ann, "ann@example.com", True)
    assert (actor.project_id, actor.agent_name, actor.is_agent) == (None, None, False)
    assert actor.scopes == {"read", "write"}
    assert actor.session_id is not None


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unknown", "invalid-token"),
        ("expired", "expired-token"),
        ("revoked", "revoked-token"),
        ("disabled user", "disabled-user"),
    ],
)
async def test_authenticate_refuses(
    database: Database, settings: Settings, factory: Factory, case: str, code: str
) -> None:
    await factory.user("root@example.com", admin=True)
    ann = await factory.user("ann@example.com")
    token = await factory.token(ann)
    if case == "unknown":
        token = token[:-4] + "abcd"
    elif case == "expired":
        await _set(database, token, expires_at=utcnow() - timedelta(seconds=1))
    elif case == "revoked":
        await _set(database, token, revoked_at=utcnow())
    else:
        async with unit_of_work(database, write=True) as session:
            await UserService(session).update(Actor.system(), ann, disabled=True)
    with pytest.raises(Unauthenticated) as caught:
        async with unit_of_work(database, write=False) as session:
            await AuthService(session, settings).authenticate(token)
    assert caught.value.detail_code == code


async def test_a_read_only_token_cannot_change_anything(
    database: Database, settings: Settings, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    token = await factory.token(ann, read_only=True)
    async with unit_of_work(database, write=False) as session:
        actor = (await AuthService(session, settings).authenticate(token)).actor
    assert actor.scopes == {"read"}
    with pytest.raises(Forbidden):
        actor.require_write()
    with pytest.raises(Forbidden):
        async with unit_of_work(database, write=True) as session:
            await UserService(session).update_profile(actor, name="Renamed")
    async with unit_of_work(database, write=False) as session:
        assert (await UserService(session).get(actor, ann)).name == "ann"


async def test_touch_records_use_and_needs_touch_honours_the_interval(
    database: Database, settings: Settings, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    token = await factory.token(ann)

    async def needs_touch(config: Settings) -> bool:
        async with unit_of_work(database, write=False) as session:
            return (await AuthService(session, config).authenticate(token)).needs_touch

    async with unit_of_work(database, write=False) as session:
        found = await AuthService(session, settings).authenticate(token)
    assert found.actor.session_id is not None
    before = utcnow()
    async with unit_of_work(database, write=True) as session:
        await AuthService(session, settings).touch(found.actor.session_id)
    async with unit_of_work(database, write=False) as session:
        record = await session.get(AuthSession, found.actor.session_id)
        assert record is not None
        assert record.last_used_at is not None
        assert record.last_used_at >= before - timedelta(seconds=1)

    assert settings.touch_interval_seconds == 300
    assert not await needs_touch(settings)  # just used
    assert await needs_touch(settings.model_copy(update={"touch_interval_seconds": 0}))
    await _set(database, token, last_used_at=utcnow() - timedelta(seconds=301))
    assert await needs_touch(settings)


# -- first admin ------------------------------------------------------------------------


async def _setup(database: Database, settings: Settings, secret: str) -> User:
    async with unit_of_work(database, write=True) as session:
        return await AuthService(session, settings).complete_setup(
            secret, email="Root@Example.com", name="Root", password=PASSWORD
        )


async def _issue(database: Database, settings: Settings) -> str | None:
    async with unit_of_work(database, write=True) as session:
        return await AuthService(session, settings).issue_setup_secret()


async def test_setup_secret_creates_the_first_admin_once(
    database: Database, settings: Settings
) -> None:
    first = await _issue(database, settings)
    second = await _issue(database, settings)
    assert first is not None
    assert second is not None
    assert first.startswith("cbsetup_")
    assert first != second
    # The second secret invalidated the first.
    with pytest.raises(Unauthenticated) as caught:
        await _setup(database, settings, first)
    assert caught.value.detail_code == "bad-setup-secret"

    admin = await _setup(database, settings, second)
    assert (admin.email, admin.name, admin.is_admin) == ("root@example.com", "Root", True)
    assert admin.password_hash is not None
    assert admin.password_hash.startswith("$argon2id$")
    async with unit_of_work(database, write=False) as session:
        record = await session.scalar(select(SetupSecret))
        assert record is not None
        assert record.used_at is not None
        assert record.secret_hash == hash_token(second)  # only the hash is kept

    # Used: refused, and the instance is set up, so no new secret is issued.
    with pytest.raises(Unauthenticated):
        await _setup(database, settings, second)
    assert await _issue(database, settings) is None
    async with unit_of_work(database, write=False) as session:
        assert await UserService(session).count() == 1


async def test_an_expired_setup_secret_is_refused(database: Database, settings: Settings) -> None:
    secret = await _issue(database, settings)
    assert secret is not None
    async with unit_of_work(database, write=True) as session:
        await session.execute(
            update(SetupSecret).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with pytest.raises(Unauthenticated) as caught:
        await _setup(database, settings, secret)
    assert caught.value.detail_code == "bad-setup-secret"
    async with unit_of_work(database, write=False) as session:
        assert await UserService(session).count() == 0


async def test_setup_refuses_an_instance_that_has_users(
    database: Database, settings: Settings, factory: Factory
) -> None:
    secret = await _issue(database, settings)
    assert secret is not None
    await factory.user("early@example.com")  # e.g. made by `crewboard user create`
    with pytest.raises(Conflict) as caught:
        await _setup(database, settings, secret)
    assert caught.value.detail_code == "already-set-up"
    async with unit_of_work(database, write=False) as session:
        record = await session.scalar(select(SetupSecret))
        assert record is not None
        assert record.used_at is None
