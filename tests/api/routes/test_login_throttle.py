"""Login brute force: throttled across server processes, through the dashboard's form too,
whatever address headers claim; unknown e-mail and wrong password answer alike; the setup
secret is single-use. (Per e-mail and per client, with Retry-After, and the right password
refused while throttled: ``tests/api/test_bad_input.py``.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.accounts import AuthService
from crewboard.services.core import unit_of_work
from tests.api.harness import API, assert_problem
from tests.support.database import snapshot
from tests.support.factory import Factory
from tests.support.http import client_for, csrf_of
from tests.support.live import live_server

EMAIL, PASSWORD = "ann@example.com", "ann-password-1"
LOGIN = f"{API}/auth/login"


def comparable(response: httpx.Response) -> tuple[int, dict[str, Any], list[str]]:
    """Status, body and header names, less what differs per request anyway."""
    body = response.json()
    body.pop("request_id", None)
    headers = sorted(k for k in response.headers if k not in ("x-request-id", "content-length"))
    return response.status_code, body, headers


async def test_unknown_email_and_wrong_password_answer_alike(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    await factory.user(EMAIL, password=PASSWORD)
    wrong = await client.post(LOGIN, json={"email": EMAIL, "password": "not-it"})
    unknown = await client.post(LOGIN, json={"email": "nobody@example.com", "password": "not-it"})
    disabled_id = await factory.user("gone@example.com", password=PASSWORD)
    admin = await factory.token(await factory.user("root@example.com", admin=True))
    off = await client.patch(
        f"{API}/users/{disabled_id}",
        json={"disabled": True},
        headers={"authorization": f"Bearer {admin}"},
    )
    assert off.status_code == 200
    disabled = await client.post(LOGIN, json={"email": "gone@example.com", "password": PASSWORD})
    assert_problem(wrong, 401, "bad-login")
    assert comparable(wrong) == comparable(unknown) == comparable(disabled)


@pytest.mark.e2e
async def test_the_limit_holds_across_two_servers_on_one_database(
    database: Database, settings: Settings, factory: Factory
) -> None:
    await factory.user(EMAIL, password=PASSWORD)
    limited = settings.model_copy(update={"login_max_failures_per_email": 3})
    # Two servers, each with its own engine and event loop: only the database is shared.
    with live_server(limited) as first, live_server(limited) as second:
        async with httpx.AsyncClient(timeout=30) as http:
            for url in (first, second, first):
                bad = await http.post(url + LOGIN, json={"email": EMAIL, "password": "guess"})
                assert_problem(bad, 401, "bad-login")
            for url in (second, first):
                refused = await http.post(url + LOGIN, json={"email": EMAIL, "password": PASSWORD})
                assert_problem(refused, 429, "rate-limited")
                assert refused.headers["retry-after"] == str(limited.login_window_seconds)
                assert "set-cookie" not in refused.headers


async def test_forwarded_headers_do_not_open_a_new_client_allowance(
    database: Database, settings: Settings, factory: Factory
) -> None:
    await factory.user(EMAIL, password=PASSWORD)
    limited = settings.model_copy(update={"login_max_failures_per_client": 2})
    async with client_for(settings=limited, database=database, peer="10.0.0.7") as http:
        for n in range(2):
            spoof = {
                "x-forwarded-for": f"10.1.1.{n}",
                "x-real-ip": f"10.2.2.{n}",
                "forwarded": f"for=10.3.3.{n}",
            }
            login = {"email": f"guess{n}@example.com", "password": "guess"}
            assert_problem(await http.post(LOGIN, json=login, headers=spoof), 401, "bad-login")
        spoof = {"x-forwarded-for": "10.9.9.9", "x-real-ip": "10.9.9.9"}
        refused = await http.post(LOGIN, json={"email": EMAIL, "password": PASSWORD}, headers=spoof)
        assert_problem(refused, 429, "rate-limited")


async def test_the_login_form_is_throttled_with_the_api(
    database: Database, settings: Settings, factory: Factory
) -> None:
    await factory.user(EMAIL, password=PASSWORD)
    limited = settings.model_copy(update={"login_max_failures_per_email": 2})
    async with client_for(settings=limited, database=database) as http:
        for _ in range(2):  # one failure through each face
            assert (await http.post(LOGIN, json={"email": EMAIL, "password": "x"})).is_error
        form = await http.get("/login")
        before = await snapshot(database)
        answer = await http.post(
            "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf_of(form.text)}
        )
        assert answer.status_code == 429, answer.text[:300]
        assert "crewboard_session" not in answer.headers.get("set-cookie", "")
        assert await snapshot(database) == before


async def test_setup_secret_guesses_get_nothing_and_the_secret_works_once(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> None:
    async with unit_of_work(database, write=True) as session:
        secret = await AuthService(session, settings).issue_setup_secret()
    assert secret is not None
    body = {"email": "root@example.com", "password": "root-password-1"}
    before = await snapshot(database)
    # 256 random bits: guesses are hopeless, and each is only told the secret is wrong.
    # (The near miss changes the last character; "A" would be the secret itself one time in 64.)
    near_miss = secret[:-1] + ("B" if secret.endswith("A") else "A")
    for guess in ("cbsetup_" + "A" * 43, near_miss, secret.upper(), "", "' OR '1'='1"):
        refused = await client.post(f"{API}/auth/setup", json={**body, "setup_secret": guess})
        assert refused.status_code in (401, 422), refused.text
        assert secret not in refused.text
    assert await snapshot(database) == before
    made = await client.post(f"{API}/auth/setup", json={**body, "setup_secret": secret})
    assert made.status_code == 201, made.text
    again = await client.post(
        f"{API}/auth/setup", json={**body, "setup_secret": secret, "email": "b@example.com"}
    )
    assert_problem(again, 401, "bad-setup-secret")
