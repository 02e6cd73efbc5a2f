"""Membership by invitation (issue 17, item 8): an owner can neither learn which e-mails
have accounts nor put anyone, an admin included, into a project without their consent."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from crewboard.database import Database
from crewboard.models import Invitation, utcnow
from crewboard.services.core import unit_of_work
from crewboard.services.projects import Role
from tests.support.database import events, snapshot
from tests.support.factory import Factory
from tests.support.http import API, bearer, problem_code

MEMBERS = f"{API}/projects/web/members"


def _shape(response: httpx.Response) -> tuple[int, list[str], str]:
    body = response.json()
    return response.status_code, sorted(body), body["role"]


async def test_one_answer_for_known_and_unknown_emails_and_no_one_joins_unasked(
    client: httpx.AsyncClient, factory: Factory, database: Database
) -> None:
    mallory = await factory.user("mallory@example.com")
    admin = await factory.user("root@example.com", admin=True)
    await factory.project("web", mallory)
    owner = bearer(await factory.token(mallory))
    known = await client.put(
        MEMBERS, json={"email": "root@example.com", "role": "member"}, headers=owner
    )
    unknown = await client.put(
        MEMBERS, json={"email": "nobody@example.com", "role": "member"}, headers=owner
    )
    assert _shape(known) == _shape(unknown) == (202, sorted(unknown.json()), "member")
    listed = await client.get(MEMBERS, headers=owner)
    assert [m["email"] for m in listed.json()["items"]] == ["mallory@example.com"]
    # The admin sees the offer, and the project stays closed to them until they accept.
    root = bearer(await factory.token(admin))
    (offer,) = (await client.get(f"{API}/invitations", headers=root)).json()
    assert (offer["project"], offer["invited_by"]) == ("web", "mallory@example.com")
    before = await snapshot(database)
    declined = await client.delete(f"{API}/invitations/{offer['id']}", headers=root)
    assert declined.status_code == 204
    assert (await client.get(f"{API}/invitations", headers=root)).json() == []
    after = await snapshot(database)
    assert after.pop("invitations")[0] == before.pop("invitations")[0] - 1
    assert after.pop("events")[0] == before.pop("events")[0] + 1
    assert after == before  # no membership was ever written
    kinds = [e.kind for e in await events(database) if e.kind.startswith(("member.", "invit"))]
    assert kinds == ["member.invited", "member.invited", "invitation.declined"]


async def test_only_the_invitee_accepts_before_it_expires(
    client: httpx.AsyncClient, factory: Factory, database: Database
) -> None:
    ann = await factory.user("ann@example.com")
    bob = await factory.user("bob@example.com")
    eve = await factory.user("eve@example.com")
    await factory.project("web", ann)
    owner = bearer(await factory.token(ann))
    sent = await client.put(
        MEMBERS, json={"email": "bob@example.com", "role": "viewer"}, headers=owner
    )
    accept = f"{API}/invitations/{sent.json()['id']}/accept"
    stolen = await client.post(accept, headers=bearer(await factory.token(eve)))
    assert (stolen.status_code, problem_code(stolen)) == (404, "not-found")
    pending = (await client.get(f"{API}/projects/web/invitations", headers=owner)).json()
    assert [i["email"] for i in pending] == ["bob@example.com"]
    async with unit_of_work(database, write=True) as session:
        await session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(1)))
    late = await client.post(accept, headers=bearer(await factory.token(bob)))
    assert late.status_code == 404
    # Asked again: a fresh offer, accepted.
    again = await client.put(
        MEMBERS, json={"email": "bob@example.com", "role": "viewer"}, headers=owner
    )
    joined = await client.post(
        f"{API}/invitations/{again.json()['id']}/accept", headers=bearer(await factory.token(bob))
    )
    assert (joined.status_code, joined.json()["role"]) == (200, "viewer")
    # A member's role now changes at once (200), as before.
    changed = await client.put(
        MEMBERS, json={"email": "bob@example.com", "role": "member"}, headers=owner
    )
    assert (changed.status_code, changed.json()["role"]) == (200, "member")
    assert (await client.get(f"{API}/projects/web/invitations", headers=owner)).json() == []


async def test_an_owner_withdraws_an_invitation(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    ann = await factory.user("ann@example.com")
    bob = await factory.user("bob@example.com")
    await factory.project("web", ann)
    owner = bearer(await factory.token(ann))
    sent = await client.put(
        MEMBERS, json={"email": "bob@example.com", "role": "viewer"}, headers=owner
    )
    url = f"{API}/projects/web/invitations/{sent.json()['id']}"
    assert (await client.delete(url, headers=owner)).status_code == 204
    assert (await client.delete(url, headers=owner)).status_code == 404
    assert (
        await client.get(f"{API}/invitations", headers=bearer(await factory.token(bob)))
    ).json() == []


async def test_an_offer_ends_when_membership_is_decided_another_way(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    """Added by the operator while invited, then removed: the old offer must not let the
    person back in."""
    ann = await factory.user("ann@example.com")
    bob = await factory.user("bob@example.com")
    await factory.project("web", ann)
    owner = bearer(await factory.token(ann))
    await client.put(MEMBERS, json={"email": "bob@example.com", "role": "owner"}, headers=owner)
    await factory.member("web", "bob@example.com", Role.VIEWER)  # crewboard member add
    assert (await client.get(f"{API}/projects/web/invitations", headers=owner)).json() == []
    removed = await client.delete(f"{MEMBERS}/{bob}", headers=owner)
    assert removed.status_code == 204
    assert (
        await client.get(f"{API}/invitations", headers=bearer(await factory.token(bob)))
    ).json() == []
