"""/tokens: issued once, listed without the secret, revoked."""

from __future__ import annotations

import httpx

from tests.support.factory import Factory
from tests.support.http import API, bearer, problem_code

TOKEN_FIELDS = {
    "id",
    "kind",
    "user_id",
    "name",
    "hint",
    "scopes",
    "project_id",
    "agent_name",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
}


async def test_a_token_is_shown_once_and_listed_without_its_secret(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    headers = bearer(await factory.token(ann))
    created = await client.post(
        f"{API}/tokens", json={"name": "laptop", "expires_in_days": 30}, headers=headers
    )
    assert created.status_code == 201, created.text
    issued = created.json()
    assert set(issued) == TOKEN_FIELDS | {"token"}
    secret = issued["token"]
    assert secret.startswith("cb_")
    assert issued["hint"] == secret[:10]
    assert (issued["user_id"], issued["name"], issued["scopes"]) == (
        ann,
        "laptop",
        ["read", "write"],
    )
    assert (issued["project_id"], issued["agent_name"], issued["revoked_at"]) == (None, None, None)

    # The new token works.
    me = await client.get(f"{API}/auth/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.json()["user"]["id"] == ann

    listed = await client.get(f"{API}/tokens", headers=headers)
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert all(set(item) == TOKEN_FIELDS for item in items)
    assert secret not in listed.text
    [mine] = [item for item in items if item["id"] == issued["id"]]
    assert mine["hint"] == secret[:10]
    assert mine["last_used_at"] is not None  # it was used for /auth/me


async def test_an_agent_token_over_http(client: httpx.AsyncClient, factory: Factory) -> None:
    ann = await factory.user("ann@example.com")
    project_id = await factory.project("web", ann)
    await factory.agent("web", "qa")
    headers = bearer(await factory.token(ann))
    created = await client.post(
        f"{API}/tokens",
        json={"project": "web", "agent_name": "qa", "read_only": True},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["project_id"], body["agent_name"], body["scopes"]) == (project_id, "qa", ["read"])

    # An agent token may not mint tokens itself.
    refused = await client.post(f"{API}/tokens", json={}, headers=bearer(body["token"]))
    assert refused.status_code == 403

    ghost = await client.post(
        f"{API}/tokens", json={"project": "web", "agent_name": "ghost"}, headers=headers
    )
    assert ghost.status_code == 404


async def test_lifetime_beyond_the_maximum_is_refused(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    headers = bearer(await factory.token(await factory.user("ann@example.com")))
    response = await client.post(f"{API}/tokens", json={"expires_in_days": 366}, headers=headers)
    assert response.status_code == 422
    assert problem_code(response) == "invalid"
    assert response.json()["field"] == "expires_in"


async def test_revoke_makes_the_token_useless(client: httpx.AsyncClient, factory: Factory) -> None:
    ann = await factory.user("ann@example.com")
    headers = bearer(await factory.token(ann))
    issued = (await client.post(f"{API}/tokens", json={}, headers=headers)).json()
    revoked = await client.delete(f"{API}/tokens/{issued['id']}", headers=headers)
    assert revoked.status_code == 204
    assert revoked.content == b""
    again = await client.delete(f"{API}/tokens/{issued['id']}", headers=headers)
    assert again.status_code == 204  # harmless
    refused = await client.get(f"{API}/auth/me", headers=bearer(issued["token"]))
    assert refused.status_code == 401
    assert problem_code(refused) == "revoked-token"
    listed = (await client.get(f"{API}/tokens", headers=headers)).json()["items"]
    [record] = [t for t in listed if t["id"] == issued["id"]]
    assert record["revoked_at"] is not None


async def test_admins_see_and_issue_for_others(client: httpx.AsyncClient, factory: Factory) -> None:
    root = bearer(await factory.token(await factory.user("root@example.com", admin=True)))
    ann = await factory.user("ann@example.com")
    bob = await factory.user("bob@example.com")
    anns = bearer(await factory.token(ann))

    for_bob = await client.post(f"{API}/tokens", json={"user_id": bob}, headers=root)
    assert for_bob.status_code == 201
    assert for_bob.json()["user_id"] == bob
    refused = await client.post(f"{API}/tokens", json={"user_id": bob}, headers=anns)
    assert refused.status_code == 403

    listed = await client.get(f"{API}/tokens", params={"user_id": bob}, headers=root)
    assert [t["user_id"] for t in listed.json()["items"]] == [bob]
    hidden = await client.get(f"{API}/tokens", params={"user_id": bob}, headers=anns)
    assert hidden.status_code == 404
    # Ann cannot revoke Bob's token: it does not exist for her.
    other = await client.delete(f"{API}/tokens/{for_bob.json()['id']}", headers=anns)
    assert other.status_code == 404
