"""Crew credentials over HTTP: a member's one secret for a crew, exchanged for agent tokens of
agents that person may act as; it opens nothing else, and revoking it ends every token it gave."""

from __future__ import annotations

import httpx

from crewboard.database import Database
from crewboard.services.projects import Role
from tests.support.database import snapshot
from tests.support.factory import Factory
from tests.support.http import API, bearer, problem_code

EXCHANGE = f"{API}/crew/exchange"


async def _crew(client: httpx.AsyncClient, factory: Factory) -> tuple[str, dict[str, str]]:
    """Project shop (owner ann, agents backend and qa); ann's crew credential."""
    ann = await factory.user("ann@example.com")
    await factory.project("shop", ann)
    for name in ("backend", "qa"):
        await factory.agent("shop", name)
    headers = bearer(await factory.token(ann))
    made = await client.post(
        f"{API}/tokens", json={"project": "shop", "crew": True, "name": "crew"}, headers=headers
    )
    assert made.status_code == 201, made.text
    assert (made.json()["kind"], made.json()["agent_name"]) == ("crew", None)
    assert made.json()["token"].startswith("cbcrew_")
    return made.json()["token"], headers


async def test_a_crew_credential_becomes_each_agent_and_nothing_else(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    crew, _ = await _crew(client, factory)
    # The crew credential itself opens no route.
    refused = await client.get(f"{API}/auth/me", headers=bearer(crew))
    assert (refused.status_code, problem_code(refused)) == (401, "crew-credential")
    tokens = {}
    for agent in ("backend", "qa"):
        answer = await client.post(EXCHANGE, json={"agent": agent}, headers=bearer(crew))
        assert answer.status_code == 200, answer.text
        tokens[agent] = answer.json()["token"]
    for agent, token in tokens.items():
        me = (await client.get(f"{API}/auth/me", headers=bearer(token))).json()
        assert (me["agent_name"], me["project"], me["user"]["email"]) == (
            agent,
            "shop",
            "ann@example.com",
        )
    made = await client.post(
        f"{API}/projects/shop/tasks", json={"title": "From qa"}, headers=bearer(tokens["qa"])
    )
    assert made.json()["created_by"] == "qa"
    events = await client.get(
        f"{API}/projects/shop/events",
        params={"once": "true", "after": 0},
        headers=bearer(tokens["qa"]),
    )
    exchanged = [
        line
        for line in events.text.splitlines()
        if line.startswith("data:") and "exchanged" in line
    ]
    assert len(exchanged) == 2
    assert all('"actor":"ann@example.com"' in line for line in exchanged)  # the person behind
    assert ['"agent_name":"backend"' in exchanged[0], '"agent_name":"qa"' in exchanged[1]] == [
        True,
        True,
    ]


async def test_an_exchange_the_rules_refuse_changes_nothing(
    client: httpx.AsyncClient, factory: Factory, database: Database
) -> None:
    crew, ann = await _crew(client, factory)
    other = await factory.user("bob@example.com")
    await factory.project("bank", other)
    await factory.agent("bank", "teller")
    pinned = await factory.user("pat@example.com")
    await factory.member("shop", "pat@example.com", Role.AGENT, agent="backend")
    pats = await client.post(
        f"{API}/tokens",
        json={"project": "shop", "crew": True},
        headers=bearer(await factory.token(pinned)),
    )
    assert pats.status_code == 403  # a member pinned to one agent holds no crew credential
    bobs = await factory.token(other)
    before = await snapshot(database)
    for token, body, status in (
        (crew, {"agent": "ghost"}, 404),  # not on the roster
        (crew, {"agent": "teller"}, 404),  # another project's agent
        (crew, {"agent": "Not A Name"}, 422),
        (bobs, {"agent": "backend"}, 401),  # not a crew credential
        ("cbcrew_" + "x" * 40, {"agent": "backend"}, 401),
    ):
        answer = await client.post(EXCHANGE, json=body, headers=bearer(token))
        assert answer.status_code == status, (body, answer.text)
    assert await snapshot(database) == before
    wrong: list[dict[str, object]] = [
        {"project": "shop", "crew": True, "agent_name": "qa"},
        {"crew": True},
    ]
    for fields in wrong:
        assert (await client.post(f"{API}/tokens", json=fields, headers=ann)).status_code == 422


async def test_revoking_the_crew_credential_ends_every_token_it_gave(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    crew, ann = await _crew(client, factory)
    given = [
        (await client.post(EXCHANGE, json={"agent": a}, headers=bearer(crew))).json()["token"]
        for a in ("backend", "qa")
    ]
    listed = (await client.get(f"{API}/tokens", headers=ann)).json()["items"]
    crew_id = next(t["id"] for t in listed if t["kind"] == "crew")
    assert (await client.delete(f"{API}/tokens/{crew_id}", headers=ann)).status_code == 204
    for token in given:
        answer = await client.get(f"{API}/auth/me", headers=bearer(token))
        assert (answer.status_code, problem_code(answer)) == (401, "revoked-token")
    again = await client.post(EXCHANGE, json={"agent": "qa"}, headers=bearer(crew))
    assert again.status_code == 401
