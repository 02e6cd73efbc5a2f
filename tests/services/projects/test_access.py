"""ProjectService: creating projects, who sees them, roles, and the last owner."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crewboard.database import Database
from crewboard.models import Member, Project
from crewboard.services.core import Actor, Conflict, Forbidden, Invalid, NotFound, unit_of_work
from crewboard.services.projects import ProjectService, Role
from tests.services.conftest import SLUG, Crew
from tests.support.database import events
from tests.support.world import person


def _uid(actor: Actor) -> int:
    assert actor.user_id is not None
    return actor.user_id


async def _create(
    database: Database,
    actor: Actor,
    slug: str,
    *,
    name: str | None = None,
    repo_path: str | None = None,
    owner_id: int | None = None,
) -> Project:
    async with unit_of_work(database, write=True) as session:
        return await ProjectService(session).create(
            actor, slug=slug, name=name, repo_path=repo_path, owner_id=owner_id
        )


async def _members(database: Database, project_id: int) -> dict[int, tuple[str, str | None]]:
    async with unit_of_work(database, write=False) as session:
        rows = await session.scalars(select(Member).where(Member.project_id == project_id))
        return {m.user_id: (m.role, m.agent_name) for m in rows}


async def test_the_creator_becomes_the_owner(database: Database, crew: Crew) -> None:
    project = await _create(database, crew.bob, "api", name="The API", repo_path="/src/api")
    assert (project.slug, project.name, project.repo_path) == ("api", "The API", "/src/api")
    assert await _members(database, project.id) == {_uid(crew.bob): ("owner", None)}
    [*_, event] = await events(database, "project.created")
    assert (event.subject, event.actor, event.project_id) == (
        "project:api",
        "bob@example.com",
        project.id,
    )
    assert event.data == {"name": "The API", "owner": "bob@example.com"}
    # The name defaults to the slug.
    assert (await _create(database, crew.bob, "api-2")).name == "api-2"


async def test_a_duplicate_or_malformed_slug_is_refused(database: Database, crew: Crew) -> None:
    before = len(await events(database))
    with pytest.raises(Conflict) as caught:
        await _create(database, crew.bob, SLUG)
    assert caught.value.detail_code == "duplicate"
    for slug in ("Web", "-web", "web_app", "a" * 65, ""):
        with pytest.raises(Invalid):
            await _create(database, crew.bob, slug)
    assert len(await events(database)) == before


async def test_only_an_admin_creates_a_project_for_someone_else(
    database: Database, crew: Crew
) -> None:
    with pytest.raises(Forbidden):
        await _create(database, crew.alice, "api", owner_id=_uid(crew.bob))
    project = await _create(database, crew.root, "api", owner_id=_uid(crew.bob))
    assert await _members(database, project.id) == {_uid(crew.bob): ("owner", None)}
    with pytest.raises(NotFound):
        await _create(database, crew.root, "api-2", owner_id=_uid(crew.bob) + 100)
    with pytest.raises(Invalid):  # the system actor is nobody: it must name an owner
        await _create(database, Actor.system(), "api-3")


async def test_agents_and_read_only_credentials_cannot_create_projects(
    database: Database, crew: Crew
) -> None:
    agent = Actor(user_id=_uid(crew.bob), label="qa", project_id=crew.project_id, agent_name="qa")
    for actor in (agent, person(_uid(crew.bob), "bob@example.com", read_only=True)):
        with pytest.raises(Forbidden):
            await _create(database, actor, "api")


async def test_list_shows_only_ones_own_projects(database: Database, crew: Crew) -> None:
    await _create(database, crew.erin, "erins")
    await _create(database, crew.bob, "bobs")

    async def slugs(actor: Actor) -> list[str]:
        async with unit_of_work(database, write=False) as session:
            return [p.slug for p in (await ProjectService(session).list(actor)).items]

    assert await slugs(crew.erin) == ["erins"]
    assert await slugs(crew.bob) == [SLUG, "bobs"]
    assert await slugs(crew.dave) == [SLUG]
    assert await slugs(crew.root) == [SLUG, "erins", "bobs"]
    agent = Actor(user_id=_uid(crew.bob), label="qa", project_id=crew.project_id, agent_name="qa")
    assert await slugs(agent) == [SLUG]


async def test_outsiders_get_not_found_never_forbidden(database: Database, crew: Crew) -> None:
    async with unit_of_work(database, write=False) as session:
        projects = ProjectService(session)
        with pytest.raises(NotFound) as hidden:
            await projects.access(crew.erin, SLUG)
        with pytest.raises(NotFound) as missing:
            await projects.access(crew.erin, "no-such-project")
        assert str(hidden.value) == f"project {SLUG} not found"
        assert str(missing.value) == "project no-such-project not found"
        # An agent token of another project is an outsider too.
        other = Actor(
            user_id=_uid(crew.bob), label="qa", project_id=crew.project_id + 1, agent_name="qa"
        )
        with pytest.raises(NotFound):
            await projects.access(other, SLUG)


async def test_access_resolves_roles_and_their_ranks(database: Database, crew: Crew) -> None:
    assert [r.rank for r in (Role.VIEWER, Role.AGENT, Role.MEMBER, Role.OWNER)] == [0, 1, 2, 3]
    expected = {
        "alice": (Role.OWNER, None),
        "bob": (Role.MEMBER, None),
        "carol": (Role.AGENT, "backend"),
        "dave": (Role.VIEWER, None),
        "root": (Role.OWNER, None),  # admins act as owners everywhere
    }
    async with unit_of_work(database, write=False) as session:
        projects = ProjectService(session)
        for name, (role, agent) in expected.items():
            access = await projects.access(getattr(crew, name), SLUG)
            assert (access.role, access.agent_name, access.project.id) == (
                role,
                agent,
                crew.project_id,
            )
        for need in Role:
            for name, (role, _) in expected.items():
                if role.rank >= need.rank:
                    await projects.access(getattr(crew, name), SLUG, need=need)
                else:
                    with pytest.raises(Forbidden):
                        await projects.access(getattr(crew, name), SLUG, need=need)
        read_only = person(_uid(crew.alice), "alice@example.com", read_only=True)
        await projects.access(read_only, SLUG)
        with pytest.raises(Forbidden):
            await projects.access(read_only, SLUG, write=True)


async def test_update_renames_and_sets_the_repository_path(database: Database, crew: Crew) -> None:
    async with unit_of_work(database, write=True) as session:
        project = await ProjectService(session).update(
            crew.alice, SLUG, name="Web App", repo_path="/src/web"
        )
    assert (project.name, project.repo_path) == ("Web App", "/src/web")
    async with unit_of_work(database, write=True) as session:
        project = await ProjectService(session).update(crew.alice, SLUG, repo_path="")
    assert project.repo_path is None  # an empty path clears it
    updates = await events(database, "project.updated")
    assert [e.data for e in updates] == [
        {"name": "Web App", "repo_path": "/src/web"},
        {"repo_path": None},
    ]
    assert {e.project_id for e in updates} == {crew.project_id}
    for actor, error in ((crew.bob, Forbidden), (crew.erin, NotFound)):
        with pytest.raises(error):
            async with unit_of_work(database, write=True) as session:
                await ProjectService(session).update(actor, SLUG, name="Mine")
    assert len(await events(database, "project.updated")) == 2


async def test_set_member_adds_and_changes_roles(database: Database, crew: Crew) -> None:
    async with unit_of_work(database, write=True) as session:
        view = await ProjectService(session).set_member(
            crew.alice, SLUG, email=" ERIN@example.com", role=Role.AGENT, agent_name="qa"
        )
        assert (view.user.id, view.member.role, view.member.agent_name) == (
            _uid(crew.erin),
            "agent",
            "qa",
        )
    async with unit_of_work(database, write=True) as session:
        await ProjectService(session).set_member(
            crew.alice, SLUG, email="erin@example.com", role=Role.MEMBER
        )
    assert (await _members(database, crew.project_id))[_uid(crew.erin)] == ("member", None)
    recorded = [
        (e.kind, e.subject, e.data) for e in await events(database) if e.kind.startswith("member.")
    ]
    assert recorded[-2:] == [
        (
            "member.added",
            f"user:{_uid(crew.erin)}",
            {"email": "erin@example.com", "role": "agent", "agent_name": "qa"},
        ),
        (
            "member.updated",
            f"user:{_uid(crew.erin)}",
            {"email": "erin@example.com", "role": "member", "agent_name": None},
        ),
    ]


@pytest.mark.parametrize(
    ("role", "agent", "error"),
    [
        (Role.AGENT, None, Invalid),  # the agent role names an agent
        (Role.MEMBER, "qa", Invalid),  # ...and only it does
        (Role.AGENT, "ghost", NotFound),  # on the roster
        (Role.AGENT, "Bad Name", Invalid),
    ],
)
async def test_set_member_checks_the_agent_binding(
    database: Database, crew: Crew, role: Role, agent: str | None, error: type[Exception]
) -> None:
    before = len(await events(database))
    with pytest.raises(error):
        async with unit_of_work(database, write=True) as session:
            await ProjectService(session).set_member(
                crew.alice, SLUG, email="erin@example.com", role=role, agent_name=agent
            )
    assert _uid(crew.erin) not in await _members(database, crew.project_id)
    assert len(await events(database)) == before


async def test_only_owners_manage_members(database: Database, crew: Crew) -> None:
    with pytest.raises(Forbidden):
        async with unit_of_work(database, write=True) as session:
            await ProjectService(session).set_member(
                crew.bob, SLUG, email="erin@example.com", role=Role.OWNER
            )
    with pytest.raises(NotFound):
        async with unit_of_work(database, write=True) as session:
            await ProjectService(session).set_member(
                crew.alice, SLUG, email="nobody@example.com", role=Role.MEMBER
            )


async def test_the_last_owner_can_neither_leave_nor_be_demoted(
    database: Database, crew: Crew
) -> None:
    alice = _uid(crew.alice)

    async def demote() -> None:
        async with unit_of_work(database, write=True) as session:
            await ProjectService(session).set_member(
                crew.alice, SLUG, email="alice@example.com", role=Role.MEMBER
            )

    async def leave() -> None:
        async with unit_of_work(database, write=True) as session:
            await ProjectService(session).remove_member(crew.alice, SLUG, alice)

    for attempt in (demote, leave):
        with pytest.raises(Conflict) as caught:
            await attempt()
        assert caught.value.detail_code == "last-owner"
    assert (await _members(database, crew.project_id))[alice] == ("owner", None)

    # With a second owner, the first may step down and then leave.
    async with unit_of_work(database, write=True) as session:
        projects = ProjectService(session)
        await projects.set_member(crew.alice, SLUG, email="bob@example.com", role=Role.OWNER)
        await projects.set_member(crew.alice, SLUG, email="alice@example.com", role=Role.VIEWER)
    async with unit_of_work(database, write=True) as session:
        await ProjectService(session).remove_member(crew.bob, SLUG, alice)
    assert alice not in await _members(database, crew.project_id)
    [removed] = await events(database, "member.removed")
    assert (removed.subject, removed.actor) == (f"user:{alice}", "bob@example.com")


async def test_remove_member_of_a_non_member_is_not_found(database: Database, crew: Crew) -> None:
    with pytest.raises(NotFound):
        async with unit_of_work(database, write=True) as session:
            await ProjectService(session).remove_member(crew.alice, SLUG, _uid(crew.erin))


async def test_list_members_shows_people_and_roles(database: Database, crew: Crew) -> None:
    async with unit_of_work(database, write=False) as session:
        page = await ProjectService(session).list_members(crew.dave, SLUG)
    assert [(v.user.email, v.member.role, v.member.agent_name) for v in page.items] == [
        ("alice@example.com", "owner", None),
        ("bob@example.com", "member", None),
        ("carol@example.com", "agent", "backend"),
        ("dave@example.com", "viewer", None),
    ]
    assert page.next_cursor is None
    with pytest.raises(NotFound):
        async with unit_of_work(database, write=False) as session:
            await ProjectService(session).list_members(crew.erin, SLUG)


async def test_a_change_to_membership_voids_the_accesses_resolved_in_the_unit_of_work(
    database: Database, crew: Crew
) -> None:
    """An access resolved (or primed by authentication) earlier in the same unit of work is
    not trusted after the membership it was read from changed, flushed or not."""
    async with unit_of_work(database, write=True) as session:
        projects = ProjectService(session)
        assert (await projects.access(crew.bob, SLUG)).role == Role.MEMBER
        assert (await projects.access(crew.dave, SLUG)).role == Role.VIEWER
        await projects.remove_member(crew.alice, SLUG, _uid(crew.bob))
        with pytest.raises(NotFound):
            await projects.access(crew.bob, SLUG)
        # A change not flushed yet counts too.
        dave = await session.get(Member, (crew.project_id, _uid(crew.dave)))
        assert dave is not None
        dave.role = Role.OWNER.value
        assert (await projects.access(crew.dave, SLUG)).role == Role.OWNER
        await session.rollback()
