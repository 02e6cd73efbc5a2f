"""AuthService tokens: who may issue which token, lifetimes, listing, revoking, and how long
an agent token keeps working."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.accounts import UserService
from crewboard.services.accounts.auth import AuthService, IssuedCredential
from crewboard.services.accounts.credentials import hash_token
from crewboard.services.core import (
    Actor,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
    unit_of_work,
)
from crewboard.services.projects import ProjectService, Role, RosterService
from tests.services.conftest import SLUG, Crew
from tests.support.database import events
from tests.support.factory import Factory
from tests.support.world import actor_for, person


async def _create(
    database: Database,
    settings: Settings,
    actor: Actor,
    *,
    user_id: int | None = None,
    agent: str | None = None,
    expires_in: timedelta | None = None,
    read_only: bool = False,
) -> IssuedCredential:
    async with unit_of_work(database, write=True) as session:
        return await AuthService(session, settings).create_token(
            actor,
            user_id=user_id,
            project_slug=SLUG if agent else None,
            agent_name=agent,
            expires_in=expires_in,
            name="ci",
            read_only=read_only,
        )


def _uid(actor: Actor) -> int:
    assert actor.user_id is not None
    return actor.user_id


async def test_a_person_creates_their_own_token(
    database: Database, settings: Settings, crew: Crew
) -> None:
    issued = await _create(database, settings, crew.bob)
    record = issued.record
    assert issued.token.startswith("cb_")
    assert len(issued.token) >= 40
    assert record.token_hash == hash_token(issued.token) != issued.token
    assert record.hint == issued.token[:10]
    assert (record.user_id, record.kind, record.name) == (_uid(crew.bob), "api", "ci")
    assert record.scopes == ["read", "write"]
    assert (record.project_id, record.agent_name) == (None, None)
    lifetime = record.expires_at - record.created_at
    assert abs(lifetime - timedelta(days=settings.token_default_days)) < timedelta(minutes=1)
    [event] = await events(database, "token.created")
    assert (event.subject, event.actor) == (f"token:{record.id}", "bob@example.com")
    assert event.data == {
        "user": "bob@example.com",
        "agent_name": None,
        "scopes": ["read", "write"],
    }
    assert issued.token not in str(event.data)


async def test_only_an_admin_issues_tokens_for_others(
    database: Database, settings: Settings, crew: Crew
) -> None:
    with pytest.raises(Forbidden):
        await _create(database, settings, crew.alice, user_id=_uid(crew.bob))
    issued = await _create(database, settings, crew.root, user_id=_uid(crew.bob))
    assert issued.record.user_id == _uid(crew.bob)
    with pytest.raises(NotFound):
        await _create(database, settings, crew.root, user_id=_uid(crew.bob) + 100)
    async with unit_of_work(database, write=True) as session:
        await UserService(session).update(crew.root, _uid(crew.bob), disabled=True)
    with pytest.raises(NotFound):
        await _create(database, settings, crew.root, user_id=_uid(crew.bob))
    assert len(await events(database, "token.created")) == 1


async def test_agents_and_read_only_credentials_cannot_mint_tokens(
    database: Database, settings: Settings, crew: Crew
) -> None:
    agent = Actor(user_id=crew.bob.user_id, label="qa", project_id=crew.project_id, agent_name="qa")
    for actor in (agent, person(_uid(crew.bob), "bob@example.com", read_only=True)):
        with pytest.raises(Forbidden):
            await _create(database, settings, actor)


@pytest.mark.parametrize(
    ("lifetime", "ok"),
    [
        (timedelta(seconds=59), False),
        (timedelta(minutes=1), True),
        (timedelta(days=365), True),
        (timedelta(days=366), False),
        (timedelta(0), False),
        (timedelta(days=-1), False),
    ],
)
async def test_token_lifetime_is_bounded(
    database: Database, settings: Settings, crew: Crew, lifetime: timedelta, ok: bool
) -> None:
    assert settings.token_max_days == 365
    if ok:
        issued = await _create(database, settings, crew.bob, expires_in=lifetime)
        actual = issued.record.expires_at - issued.record.created_at
        assert abs(actual - lifetime) < timedelta(seconds=30)
        return
    with pytest.raises(Invalid) as caught:
        await _create(database, settings, crew.bob, expires_in=lifetime)
    assert caught.value.details == {"field": "expires_in"}


async def test_an_agent_token_names_both_project_and_agent(
    database: Database, settings: Settings, crew: Crew
) -> None:
    for slug, agent in ((SLUG, None), (None, "backend")):
        with pytest.raises(Invalid):
            async with unit_of_work(database, write=True) as session:
                await AuthService(session, settings).create_token(
                    crew.alice, project_slug=slug, agent_name=agent
                )


@pytest.mark.parametrize(
    ("who", "agent", "outcome"),
    [
        ("alice", "backend", None),  # owner: any agent
        ("bob", "qa", None),  # member: any agent
        ("carol", "backend", None),  # agent-role member: its own agent
        ("carol", "qa", Forbidden),  # ...only
        ("dave", "backend", Forbidden),  # viewer: none
        ("erin", "backend", NotFound),  # outsider: the project does not exist for them
        ("alice", "ghost", NotFound),  # not on the roster
        ("alice", "Not An Agent", Invalid),
    ],
)
async def test_who_may_issue_an_agent_token_for_themselves(
    database: Database,
    settings: Settings,
    crew: Crew,
    who: str,
    agent: str,
    outcome: type[Exception] | None,
) -> None:
    actor: Actor = getattr(crew, who)
    if outcome is not None:
        with pytest.raises(outcome):
            await _create(database, settings, actor, agent=agent)
        assert await events(database, "token.created") == []
        return
    issued = await _create(database, settings, actor, agent=agent)
    assert (issued.record.project_id, issued.record.agent_name) == (crew.project_id, agent)
    [event] = await events(database, "token.created")
    assert event.project_id == crew.project_id
    agent_actor = await actor_for(database, settings, issued.token)
    assert agent_actor.is_agent
    assert (agent_actor.project_slug, agent_actor.agent_name) == (SLUG, agent)
    assert agent_actor.label == f"{agent} ({who}@example.com)"


@pytest.mark.parametrize(
    ("who", "agent", "allowed"),
    [
        ("carol", "backend", True),
        ("carol", "qa", False),  # carol is pinned to backend
        ("dave", "backend", False),  # viewers do not act for agents
        ("erin", "backend", False),  # not a member
        ("bob", "qa", True),
    ],
)
async def test_an_admin_issues_agent_tokens_only_for_entitled_people(
    database: Database, settings: Settings, crew: Crew, who: str, agent: str, allowed: bool
) -> None:
    target = _uid(getattr(crew, who))
    if allowed:
        issued = await _create(database, settings, crew.root, user_id=target, agent=agent)
        assert issued.record.user_id == target
    else:
        with pytest.raises(Forbidden):
            await _create(database, settings, crew.root, user_id=target, agent=agent)


async def test_an_agent_token_is_read_only_when_asked(
    database: Database, settings: Settings, crew: Crew
) -> None:
    issued = await _create(database, settings, crew.bob, agent="qa", read_only=True)
    actor = await actor_for(database, settings, issued.token)
    assert actor.scopes == {"read"}
    async with unit_of_work(database, write=False) as session:
        projects = ProjectService(session)
        assert (await projects.access(actor, SLUG)).agent_name == "qa"
        with pytest.raises(Forbidden):
            await projects.access(actor, SLUG, write=True)


async def _agent_access(database: Database, settings: Settings, token: str) -> None:
    actor = await actor_for(database, settings, token)
    async with unit_of_work(database, write=False) as session:
        access = await ProjectService(session).access(actor, SLUG)
    assert (access.role, access.agent_name) == (Role.AGENT, actor.agent_name)


@pytest.mark.parametrize("change", ["membership removed", "demoted to viewer"])
async def test_an_agent_token_stops_working_with_its_grounds(
    database: Database, settings: Settings, crew: Crew, change: str
) -> None:
    token = (await _create(database, settings, crew.bob, agent="qa")).token
    await _agent_access(database, settings, token)
    async with unit_of_work(database, write=True) as session:
        if change == "membership removed":
            await ProjectService(session).remove_member(crew.alice, SLUG, _uid(crew.bob))
        else:
            await ProjectService(session).set_member(
                crew.alice, SLUG, email="bob@example.com", role=Role.VIEWER
            )
    # The token itself still authenticates, but the project is gone for it.
    with pytest.raises(NotFound):
        await _agent_access(database, settings, token)


async def test_an_agent_role_token_stops_when_repinned_to_another_agent(
    database: Database, settings: Settings, crew: Crew
) -> None:
    token = (await _create(database, settings, crew.carol, agent="backend")).token
    await _agent_access(database, settings, token)
    async with unit_of_work(database, write=True) as session:
        await ProjectService(session).set_member(
            crew.alice, SLUG, email="carol@example.com", role=Role.AGENT, agent_name="qa"
        )
    with pytest.raises(NotFound):
        await _agent_access(database, settings, token)


async def test_an_admins_agent_token_needs_no_membership(
    database: Database, settings: Settings, crew: Crew
) -> None:
    token = (await _create(database, settings, crew.root, agent="qa")).token
    await _agent_access(database, settings, token)
    async with unit_of_work(database, write=True) as session:
        await RosterService(session).remove(crew.root, SLUG, "qa")
    with pytest.raises(Unauthenticated) as caught:
        await _agent_access(database, settings, token)
    assert caught.value.detail_code == "revoked-token"


async def test_list_tokens_shows_ones_own_and_admins_everyones(
    database: Database, settings: Settings, crew: Crew, factory: Factory
) -> None:
    bobs = {(await _create(database, settings, crew.bob)).record.id for _ in range(2)}
    alices = {(await _create(database, settings, crew.alice)).record.id}
    await _create(database, settings, crew.root)
    # A web login is a credential too, but not an API token.
    await factory.user("web@example.com", password="web password")
    async with unit_of_work(database, write=True) as session:
        await AuthService(session, settings).login("web@example.com", "web password", "c")

    async def listed(actor: Actor, user_id: int | None = None) -> set[int]:
        async with unit_of_work(database, write=False) as session:
            page = await AuthService(session, settings).list_tokens(actor, user_id=user_id)
        return {t.id for t in page.items}

    assert await listed(crew.bob) == bobs
    assert await listed(crew.bob, _uid(crew.bob)) == bobs
    with pytest.raises(NotFound):
        await listed(crew.bob, _uid(crew.alice))
    assert await listed(crew.root, _uid(crew.alice)) == alices
    assert len(await listed(crew.root)) == 4


async def test_revoke_by_owner_or_admin_and_twice_is_harmless(
    database: Database, settings: Settings, crew: Crew
) -> None:
    first = await _create(database, settings, crew.bob)
    second = await _create(database, settings, crew.bob)

    async def revoke(actor: Actor, token_id: int) -> None:
        async with unit_of_work(database, write=True) as session:
            await AuthService(session, settings).revoke_token(actor, token_id)

    with pytest.raises(NotFound):  # someone else's token is not even found
        await revoke(crew.alice, first.record.id)
    await actor_for(database, settings, first.token)
    await revoke(crew.bob, first.record.id)
    await revoke(crew.bob, first.record.id)
    await revoke(crew.root, second.record.id)
    with pytest.raises(NotFound):
        await revoke(crew.root, second.record.id + 100)
    for issued in (first, second):
        with pytest.raises(Unauthenticated):
            await actor_for(database, settings, issued.token)
    revoked = await events(database, "token.revoked")
    assert [(e.subject, e.actor) for e in revoked] == [
        (f"token:{first.record.id}", "bob@example.com"),
        (f"token:{second.record.id}", "root@example.com"),
    ]
