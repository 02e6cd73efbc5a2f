"""CSRF: cookie-authenticated changes need the token; reads and bearer changes do not."""

from __future__ import annotations

import httpx

from tests.support.factory import Factory
from tests.support.http import API, PASSWORD, bearer, login, problem_code


async def test_cookie_changes_need_the_csrf_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    csrf = await login(client, "ann@example.com")
    body = {"slug": "web"}

    missing = await client.post(f"{API}/projects", json=body)
    assert missing.status_code == 403
    assert problem_code(missing) == "csrf"
    wrong = await client.post(f"{API}/projects", json=body, headers={"X-CSRF-Token": csrf[::-1]})
    assert wrong.status_code == 403
    assert problem_code(wrong) == "csrf"
    # Nothing was created by the refused requests.
    assert (await client.get(f"{API}/projects")).json()["items"] == []

    ok = await client.post(f"{API}/projects", json=body, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 201
    for refused in (
        await client.patch(f"{API}/projects/web", json={"name": "Renamed"}),
        await client.put(
            f"{API}/projects/web/members", json={"email": "ann@example.com", "role": "owner"}
        ),
        await client.delete(f"{API}/projects/web/members/1"),
    ):
        assert refused.status_code == 403
        assert problem_code(refused) == "csrf"
    assert (await client.get(f"{API}/projects/web")).json()["name"] == "web"


async def test_reads_by_cookie_need_no_csrf_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await factory.user("ann@example.com", password=PASSWORD)
    await login(client, "ann@example.com")
    assert (await client.get(f"{API}/projects")).status_code == 200
    assert (await client.get(f"{API}/auth/me")).status_code == 200
    assert (await client.get(f"{API}/tokens")).status_code == 200


async def test_bearer_changes_need_no_csrf_token(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    token = await factory.token(await factory.user("ann@example.com"))
    response = await client.post(f"{API}/projects", json={"slug": "web"}, headers=bearer(token))
    assert response.status_code == 201
