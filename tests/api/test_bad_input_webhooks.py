"""Bad requests to the webhook routes: the right problem, no secret or URL echoed, nothing
written (every table is the same before and after)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import unit_of_work
from crewboard.services.webhooks import WebhookService
from tests.api.harness import API, Bad, assert_refused, quiet_settings, secret_of, send_bad
from tests.support.database import empty_database, snapshot
from tests.support.factory import SYSTEM, Factory
from tests.support.http import bearer, client_for

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

HOOKS = "/projects/alpha/webhooks"
URL = "https://hooks.example.com/in"
TARGETS = (
    "127.0.0.1",
    "localhost",
    "LOCALHOST.",
    "api.localhost",
    "[::1]",
    "0.0.0.0",  # noqa: S104 (a target to refuse, not a bind)
    "127.0.0.1.",
    "127.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "[::ffff:127.0.0.1]",
    "169.254.169.254",
    "10.1.2.3",
    "192.168.0.1",
    "172.16.0.1",
    "100.64.0.1",
    "[fe80::1]",
    "[fd00::1]",
    "[fec0::1]",
    "[::]",
    "224.0.0.1",
    "240.0.0.1",
    "[2002:7f00:1::]",
)
FULLWIDTH_127 = "\uff11\uff12\uff17.0.0.1"  # what NFKC maps to 127.0.0.1; httpx refuses it


@pytest.fixture(scope="module")
async def world(
    migrated_database: Database, base_settings: Settings
) -> AsyncIterator[tuple[Database, Any, dict[str, str], str]]:
    """alpha (owned by owner) with hook 1 (paused); the job is off, so nothing changes behind
    a case's back. Yields the database, a client, tokens and hook 1's secret."""
    settings = quiet_settings(base_settings).model_copy(update={"jobs_enabled": False})
    database = migrated_database
    await empty_database(database)
    factory = Factory(database, settings)
    owner = await factory.user("owner@example.com")
    await factory.project("alpha", owner)
    await factory.agent("alpha", "backend")
    async with unit_of_work(database, write=True) as session:
        hook = await WebhookService(session).create(SYSTEM, "alpha", url=URL, active=False)
        secret = hook.secret
    tokens = {
        "owner": await factory.token(owner),
        "backend": await factory.token(owner, project="alpha", agent="backend"),
    }
    async with client_for(settings=settings, database=database) as client:
        for token in tokens.values():  # first use recorded now, not during a case
            assert (await client.get(f"{API}/auth/me", headers=bearer(token))).status_code == 200
        yield database, client, tokens, secret


def body_case(
    path: str,
    name: str,
    value: Any,
    *,
    tag: str = "",
    method: str = "POST",
    code: str = "validation",
    field: str | None = None,
    loc: tuple[str | int, ...] | None = None,
) -> Bad:
    valid: dict[str, Any] = {"url": URL} if method == "POST" else {}
    return Bad(
        f"{method}-{name}-{tag or type(value).__name__}",
        method,
        path,
        body={**valid, name: value},
        code=code,
        loc=loc or (("body", name) if code == "validation" else None),
        field=field,
        actor="owner",
        secret=secret_of(value),
    )


B = body_case
CASES = [
    Bad(
        "create-malformed",
        "POST",
        HOOKS,
        raw=b'{"url": "https://half-written-secret',
        status=400,
        code="malformed-json",
        actor="owner",
        secret="half-written-secret",
    ),
    Bad("create-no-body", "POST", HOOKS, loc=("body",), actor="owner"),
    Bad(
        "create-unknown-field",
        "POST",
        HOOKS,
        body={"url": URL, "secret": "chosen-secret"},
        loc=("body", "secret"),
        actor="owner",
        secret="chosen-secret",
    ),
    B(HOOKS, "url", "", tag="empty"),
    B(HOOKS, "url", 5),
    B(HOOKS, "url", "https://e.com/" + "s" * 2000, tag="2001"),
    B(HOOKS, "url", "ftp://files.example.com/secret-path", tag="ftp", code="invalid", field="url"),
    B(
        HOOKS,
        "url",
        "https://user:pw-secret@example.com/",
        tag="userinfo",
        code="invalid",
        field="url",
    ),
    B(
        HOOKS,
        "url",
        "https://example.com/\x07bell-secret",
        tag="control",
        code="invalid",
        field="url",
    ),
    # SSRF: the attack review's targets, in every spelling, on create and on change.
    *(
        B(
            path,
            "url",
            f"http://{host}/secret-path",
            tag=f"target-{host}",
            method=method,
            code="webhook-target",
            field="url",
        )
        for host in TARGETS
        for path, method in ((HOOKS, "POST"), (f"{HOOKS}/1", "PATCH"))
    ),
    # Hosts the sender's HTTP client would refuse: never saved, whatever the target rule.
    *(
        B(
            path,
            "url",
            f"http://{host}/secret-path",
            tag=f"unparsed-{host}",
            method=method,
            code="invalid",
            field="url",
        )
        for host in ("999.1.1.1", FULLWIDTH_127, "ⓛocalhost")
        for path, method in ((HOOKS, "POST"), (f"{HOOKS}/1", "PATCH"))
    ),
    B(HOOKS, "kinds", "task.", tag="string"),
    B(HOOKS, "kinds", ["Task."], tag="upper", loc=("body", "kinds", 0)),
    B(HOOKS, "kinds", [f"k{i}" for i in range(21)], tag="21"),
    B(HOOKS, "active", "yes"),
    B(f"{HOOKS}/1", "rotate_secret", "true", method="PATCH"),
    B(
        f"{HOOKS}/1",
        "url",
        "javascript:alert-secret",
        tag="scheme",
        method="PATCH",
        code="invalid",
        field="url",
    ),
    Bad(
        "create-as-agent",
        "POST",
        HOOKS,
        body={"url": URL},
        status=403,
        code="forbidden",
        actor="backend",
    ),
    Bad("get-unknown", "GET", f"{HOOKS}/999", status=404, code="not-found", actor="owner"),
    Bad("get-zero", "GET", f"{HOOKS}/0", loc=("path", "hook_id"), actor="owner"),
    Bad("get-word", "GET", f"{HOOKS}/abc", loc=("path", "hook_id"), actor="owner"),
    Bad("get-huge", "GET", f"{HOOKS}/{2**40}", loc=("path", "hook_id"), actor="owner"),
    Bad("delete-unknown", "DELETE", f"{HOOKS}/999", status=404, code="not-found", actor="owner"),
    Bad(
        "ping-paused", "POST", f"{HOOKS}/1/ping", status=409, code="webhook-inactive", actor="owner"
    ),
    Bad(
        "deliveries-status",
        "GET",
        f"{HOOKS}/1/deliveries",
        params={"status": "lost"},
        loc=("query", "status"),
        actor="owner",
    ),
    Bad(
        "deliveries-cursor",
        "GET",
        f"{HOOKS}/1/deliveries",
        params={"cursor": "###"},
        code="invalid-cursor",
        actor="owner",
    ),
    Bad("list-limit", "GET", HOOKS, params={"limit": "201"}, loc=("query", "limit"), actor="owner"),
]


def test_cases_are_distinct() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_bad_input_is_refused_and_changes_nothing(
    world: tuple[Database, Any, dict[str, str], str], case: Bad
) -> None:
    database, client, tokens, secret = world
    before = await snapshot(database)
    response = await send_bad(client, tokens[case.actor], case)
    assert_refused(response, case)
    assert secret not in response.text
    assert await snapshot(database) == before


async def test_the_secret_is_shown_once(world: tuple[Database, Any, dict[str, str], str]) -> None:
    _, client, tokens, secret = world
    headers = bearer(tokens["owner"])
    for path in (HOOKS, f"{HOOKS}/1", f"{HOOKS}/1/deliveries"):
        response = await client.get(API + path, headers=headers)
        assert response.status_code == 200, response.text
        assert secret not in response.text
        assert "whsec_" not in response.text
    made = await client.post(API + HOOKS, headers=headers, json={"url": URL, "active": False})
    assert made.status_code == 201
    assert made.json()["secret"].startswith("whsec_")
    again = await client.get(f"{API}{HOOKS}/{made.json()['id']}", headers=headers)
    assert again.json()["secret"] is None
