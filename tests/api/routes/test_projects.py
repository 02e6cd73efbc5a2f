"""/projects: create, list, read, change; members and their roles."""

from __future__ import annotations

import httpx

from crewboard.services.projects import Role
from tests.support.factory import Factory
from tests.support.http import API, bearer, problem_code

PROJECT_FIELDS = {"id", "slug", "name", "repo_path", "created_at"}
MEMBER_FIELDS = {"user_id", "email", "name", "role", "agent_name", "created_at"}


async def test_create_list_read_and_update_a_project(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    headers = bearer(await factory.token(ann))
    created = await client.post(
        f"{API}/projects",
        json={"slug": "web", "name": "Web", "repo_path": "/src/web"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    project = created.json()
    assert set(project) == PROJECT_FIELDS
    assert (project["slug"], project["name"], project["repo_path"]) == ("web", "Web", "/src/web")

    duplicate = await client.post(f"{API}/projects", json={"slug": "web"}, headers=headers)
    assert duplicate.status_code == 409
    assert problem_code(duplicate) == "duplicate"

    listed = await client.get(f"{API}/projects", headers=headers)
    assert listed.status_code == 200
    assert listed.json() == {"items": [project], "next_cursor": None}

    got = await client.get(f"{API}/projects/web", headers=headers)
    assert got.status_code == 200
    assert got.json() == project

    changed = await client.patch(
        f"{API}/projects/web", json={"name": "Web App", "repo_path": ""}, headers=headers
    )
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["repo_path"]) == ("Web App", None)


async def test_outsiders_see_nothing(client: httpx.AsyncClient, factory: Factory) -> None:
    ann = await factory.user("ann@example.com")
    await factory.project("web", ann)
    erin = bearer(await factory.token(await factory.user("erin@example.com")))
    assert (await client.get(f"{API}/projects", headers=erin)).json()["items"] == []
    for response in (
        await client.get(f"{API}/projects/web", headers=erin),
        await client.patch(f"{API}/projects/web", json={"name": "Mine"}, headers=erin),
        await client.get(f"{API}/projects/web/members", headers=erin),
        await client.get(f"{API}/projects/nope", headers=erin),
    ):
        assert response.status_code == 404
        assert problem_code(response) == "not-found"
    hidden = await client.get(f"{API}/projects/web", headers=erin)
    missing = await client.get(f"{API}/projects/nope", headers=erin)
    assert hidden.json()["detail"].replace("web", "X") == missing.json()["detail"].replace(
        "nope", "X"
    )


async def test_members_are_added_listed_changed_and_removed(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    bob = await factory.user("bob@example.com", name="Bob")
    await factory.project("web", ann)
    await factory.agent("web", "backend")
    owner = bearer(await factory.token(ann))
    invitee = bearer(await factory.token(bob))

    invited = await client.put(
        f"{API}/projects/web/members",
        json={"email": "bob@example.com", "role": "agent", "agent_name": "backend"},
        headers=owner,
    )
    assert invited.status_code == 202, invited.text
    invitation = invited.json()
    mine = (await client.get(f"{API}/invitations", headers=invitee)).json()
    assert [i["id"] for i in mine] == [invitation["id"]]
    added = await client.post(f"{API}/invitations/{invitation['id']}/accept", headers=invitee)
    assert added.status_code == 200, added.text
    member = added.json()
    assert set(member) == MEMBER_FIELDS
    assert (member["user_id"], member["name"], member["role"], member["agent_name"]) == (
        bob,
        "Bob",
        "agent",
        "backend",
    )

    listed = await client.get(f"{API}/projects/web/members", headers=owner)
    assert [(m["email"], m["role"]) for m in listed.json()["items"]] == [
        ("ann@example.com", "owner"),
        ("bob@example.com", "agent"),
    ]

    promoted = await client.put(
        f"{API}/projects/web/members",
        json={"email": "bob@example.com", "role": "owner"},
        headers=owner,
    )
    assert (promoted.json()["role"], promoted.json()["agent_name"]) == ("owner", None)

    removed = await client.delete(f"{API}/projects/web/members/{ann}", headers=owner)
    assert removed.status_code == 204
    assert (await client.get(f"{API}/projects/web", headers=owner)).status_code == 404


async def test_the_last_owner_stays(client: httpx.AsyncClient, factory: Factory) -> None:
    ann = await factory.user("ann@example.com")
    await factory.project("web", ann)
    owner = bearer(await factory.token(ann))
    demote = await client.put(
        f"{API}/projects/web/members",
        json={"email": "ann@example.com", "role": "member"},
        headers=owner,
    )
    leave = await client.delete(f"{API}/projects/web/members/{ann}", headers=owner)
    for response in (demote, leave):
        assert response.status_code == 409
        assert problem_code(response) == "last-owner"


async def test_members_cannot_manage_members(client: httpx.AsyncClient, factory: Factory) -> None:
    ann = await factory.user("ann@example.com")
    bob = await factory.user("bob@example.com")
    await factory.project("web", ann)
    await factory.member("web", "bob@example.com", Role.MEMBER)
    member = bearer(await factory.token(bob))
    listed = await client.get(f"{API}/projects/web/members", headers=member)
    assert listed.status_code == 200
    refused = await client.put(
        f"{API}/projects/web/members",
        json={"email": "bob@example.com", "role": "owner"},
        headers=member,
    )
    assert refused.status_code == 403
    assert problem_code(refused) == "forbidden"
    assert (await client.patch(f"{API}/projects/web", json={}, headers=member)).status_code == 403


async def test_an_agent_token_sees_only_its_project(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    await factory.project("web", ann)
    await factory.project("api", ann)
    await factory.agent("web", "qa")
    agent = bearer(await factory.token(ann, project="web", agent="qa"))
    listed = await client.get(f"{API}/projects", headers=agent)
    assert [p["slug"] for p in listed.json()["items"]] == ["web"]
    assert (await client.get(f"{API}/projects/api", headers=agent)).status_code == 404
    created = await client.post(f"{API}/projects", json={"slug": "mine"}, headers=agent)
    assert created.status_code == 403
