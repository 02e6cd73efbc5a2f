"""/users: admin management and one's own profile."""

from __future__ import annotations

import httpx

from crewboard.config import Settings
from crewboard.database import Database
from tests.support.database import snapshot
from tests.support.factory import Factory
from tests.support.http import API, PASSWORD, bearer, client_for, login, problem_code

USER_FIELDS = {"id", "email", "name", "is_admin", "created_at", "disabled_at"}


async def _admin(factory: Factory) -> dict[str, str]:
    return bearer(await factory.token(await factory.user("root@example.com", admin=True)))


async def test_an_admin_creates_and_lists_users(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await _admin(factory)
    created = await client.post(
        f"{API}/users",
        json={"email": "Ann@Example.com", "name": "Ann", "password": PASSWORD},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    user = created.json()
    assert set(user) == USER_FIELDS  # never the password hash
    assert (user["email"], user["name"], user["is_admin"]) == ("ann@example.com", "Ann", False)
    assert user["disabled_at"] is None
    # The password works.
    await login(client, "ann@example.com")

    duplicate = await client.post(f"{API}/users", json={"email": "ANN@example.com"}, headers=admin)
    assert duplicate.status_code == 409
    assert problem_code(duplicate) == "duplicate"

    listed = await client.get(f"{API}/users", headers=admin)
    assert listed.status_code == 200
    page = listed.json()
    assert [u["email"] for u in page["items"]] == ["root@example.com", "ann@example.com"]
    assert page["next_cursor"] is None


async def test_the_user_list_pages_with_cursors(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await _admin(factory)
    for i in range(4):
        await factory.user(f"user{i}@example.com")
    first = (await client.get(f"{API}/users", params={"limit": 3}, headers=admin)).json()
    assert len(first["items"]) == 3
    assert first["next_cursor"]
    second = (
        await client.get(
            f"{API}/users", params={"limit": 3, "cursor": first["next_cursor"]}, headers=admin
        )
    ).json()
    assert [u["email"] for u in second["items"]] == ["user2@example.com", "user3@example.com"]
    assert second["next_cursor"] is None
    bad = await client.get(f"{API}/users", params={"cursor": "garbage!"}, headers=admin)
    assert bad.status_code == 422
    assert problem_code(bad) == "invalid-cursor"


async def test_an_admin_reads_and_changes_a_user(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await _admin(factory)
    ann = await factory.user("ann@example.com")
    got = await client.get(f"{API}/users/{ann}", headers=admin)
    assert got.status_code == 200
    assert got.json()["email"] == "ann@example.com"

    changed = await client.patch(
        f"{API}/users/{ann}", json={"name": "Ann Lee", "is_admin": True}, headers=admin
    )
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["is_admin"]) == ("Ann Lee", True)

    disabled = await client.patch(f"{API}/users/{ann}", json={"disabled": True}, headers=admin)
    assert disabled.status_code == 200
    assert disabled.json()["disabled_at"] is not None
    enabled = await client.patch(f"{API}/users/{ann}", json={"disabled": False}, headers=admin)
    assert enabled.json()["disabled_at"] is None

    missing = await client.get(f"{API}/users/{ann + 100}", headers=admin)
    assert missing.status_code == 404
    assert problem_code(missing) == "not-found"


async def test_the_last_admin_cannot_demote_themselves(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    root = await factory.user("root@example.com", admin=True)
    admin = bearer(await factory.token(root))
    for change in ({"is_admin": False}, {"disabled": True}):
        response = await client.patch(f"{API}/users/{root}", json=change, headers=admin)
        assert response.status_code == 409
        assert problem_code(response) == "last-admin"
    assert (await client.get(f"{API}/users/me", headers=admin)).json()["is_admin"] is True


async def test_people_see_only_themselves(client: httpx.AsyncClient, factory: Factory) -> None:
    ann = await factory.user("ann@example.com")
    bob = await factory.user("bob@example.com")
    headers = bearer(await factory.token(ann))
    me = await client.get(f"{API}/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["id"] == ann
    assert (await client.get(f"{API}/users/{ann}", headers=headers)).status_code == 200
    assert (await client.get(f"{API}/users/{bob}", headers=headers)).status_code == 404
    for response in (
        await client.get(f"{API}/users", headers=headers),
        await client.post(f"{API}/users", json={"email": "x@example.com"}, headers=headers),
        await client.patch(f"{API}/users/{ann}", json={"is_admin": True}, headers=headers),
    ):
        assert response.status_code == 403
        assert problem_code(response) == "forbidden"


async def test_profile_changes(client: httpx.AsyncClient, factory: Factory) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    csrf = {"X-CSRF-Token": await login(client, "ann@example.com")}
    renamed = await client.patch(f"{API}/users/me", json={"name": "Ann Lee"}, headers=csrf)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Ann Lee"

    wrong = await client.patch(
        f"{API}/users/me",
        json={"current_password": "not the password", "new_password": "a new password"},
        headers=csrf,
    )
    assert wrong.status_code == 422
    assert problem_code(wrong) == "invalid"
    assert wrong.json()["field"] == "current_password"

    changed = await client.patch(
        f"{API}/users/me",
        json={"current_password": PASSWORD, "new_password": "a new password"},
        headers=csrf,
    )
    assert changed.status_code == 200
    await login(client, "ann@example.com", "a new password")


async def test_a_password_change_ends_every_other_web_session(
    client: httpx.AsyncClient, factory: Factory, settings: Settings, database: Database
) -> None:
    """Whoever knew the old password is logged out everywhere else (issue 17, item 7); the
    browser that made the change stays logged in, and tokens stay."""
    ann = await factory.user("ann@example.com", password=PASSWORD)
    token = await factory.token(ann)
    async with client_for(settings=settings, database=database) as elsewhere:
        await login(elsewhere, "ann@example.com")
        csrf = {"X-CSRF-Token": await login(client, "ann@example.com")}
        changed = await client.patch(
            f"{API}/users/me",
            json={"current_password": PASSWORD, "new_password": "a new password"},
            headers=csrf,
        )
        assert changed.status_code == 200
        gone = await elsewhere.get(f"{API}/auth/me")
        assert (gone.status_code, problem_code(gone)) == (401, "revoked-token")
    assert (await client.get(f"{API}/auth/me")).status_code == 200
    assert (await client.get(f"{API}/auth/me", headers=bearer(token))).status_code == 200


async def test_a_read_only_token_cannot_change_the_profile(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    headers = bearer(await factory.token(ann, read_only=True))
    assert (await client.get(f"{API}/users/me", headers=headers)).status_code == 200
    response = await client.patch(f"{API}/users/me", json={"name": "X"}, headers=headers)
    assert response.status_code == 403


async def test_a_password_change_can_revoke_every_other_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    """The offer that goes with a password change: ``revoke_tokens`` ends every API token of
    the person but the one making the change; alone, it is refused and changes nothing."""
    ann = await factory.user("ann@example.com", password=PASSWORD)
    using, other, third = (
        await factory.token(ann),
        await factory.token(ann),
        await factory.token(ann),
    )
    alone = await client.patch(
        f"{API}/users/me", json={"revoke_tokens": True}, headers=bearer(using)
    )
    assert (alone.status_code, alone.json()["field"]) == (422, "revoke_tokens")
    assert (await client.get(f"{API}/auth/me", headers=bearer(other))).status_code == 200
    changed = await client.patch(
        f"{API}/users/me",
        json={
            "current_password": PASSWORD,
            "new_password": "a new password",
            "revoke_tokens": True,
        },
        headers=bearer(using),
    )
    assert changed.status_code == 200, changed.text
    for gone in (other, third):
        refused = await client.get(f"{API}/auth/me", headers=bearer(gone))
        assert (refused.status_code, problem_code(refused)) == (401, "revoked-token")
    assert (await client.get(f"{API}/auth/me", headers=bearer(using))).status_code == 200


async def test_wrong_current_passwords_are_throttled_then_an_admin_unlocks(
    client: httpx.AsyncClient, factory: Factory, settings: Settings, database: Database
) -> None:
    ann = await factory.user("ann@example.com", password=PASSWORD)
    token = bearer(await factory.token(ann))
    root = bearer(await factory.token(await factory.user("root@example.com", admin=True)))
    change = {"current_password": "a wrong guess", "name": "Renamed", "new_password": "new-pw-1"}
    assert (await client.get(f"{API}/auth/me", headers=token)).status_code == 200  # first use
    for _ in range(settings.login_max_failures_per_email):
        before = await snapshot(database)
        wrong = await client.patch(f"{API}/users/me", json=change, headers=token)
        assert (wrong.status_code, wrong.json()["field"]) == (422, "current_password")
        assert "a wrong guess" not in wrong.text
        after = await snapshot(database)  # one counted guess, nothing else (no rename)
        assert after.pop("login_attempts")[0] == before.pop("login_attempts")[0] + 1
        assert after == before
    right = {**change, "current_password": PASSWORD}
    limited = await client.patch(f"{API}/users/me", json=right, headers=token)
    assert (limited.status_code, problem_code(limited)) == (429, "rate-limited")
    assert limited.headers["retry-after"] == str(settings.login_window_seconds)
    unlock = f"{API}/users/{ann}/login-failures"
    assert (await client.delete(unlock, headers=token)).status_code == 403
    unlocked = await client.delete(unlock, headers=root)
    assert unlocked.json() == {"failures_cleared": settings.login_max_failures_per_email}
    assert (await client.patch(f"{API}/users/me", json=right, headers=token)).status_code == 200
