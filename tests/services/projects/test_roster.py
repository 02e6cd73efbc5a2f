"""RosterService: the agents of a project, their trackers, and who may change them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Agent
from crewboard.services.accounts import AuthService
from crewboard.services.core import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
    unit_of_work,
)
from crewboard.services.projects import ProjectService, Role, RosterService
from tests.services.conftest import SLUG, Crew
from tests.support.database import events
from tests.support.world import actor_for


async def _names(database: Database, crew: Crew) -> list[str]:
    async with unit_of_work(database, write=False) as session:
        return [a.name for a in (await RosterService(session).list(crew.dave, SLUG)).items]


async def test_add_uses_the_protocols_tracker_path_by_default(
    database: Database, crew: Crew
) -> None:
    async with unit_of_work(database, write=True) as session:
        agent = await RosterService(session).add(
            crew.bob, SLUG, name="domain-expert", domain="  billing rules "
        )
    assert agent.tracker_path == ".claude/trackers/domain-expert-tracker.md"
    assert agent.domain == "billing rules"
    [*_, event] = await events(database, "agent.added")
    assert (event.subject, event.actor, event.project_id) == (
        "agent:domain-expert",
        "bob@example.com",
        crew.project_id,
    )
    assert event.data == {
        "domain": "billing rules",
        "tracker_path": ".claude/trackers/domain-expert-tracker.md",
    }
    assert await _names(database, crew) == ["backend", "qa", "domain-expert"]


async def test_add_keeps_a_custom_tracker_path(database: Database, crew: Crew) -> None:
    async with unit_of_work(database, write=True) as session:
        agent = await RosterService(session).add(
            crew.alice, SLUG, name="frontend", tracker_path=".claude/trackers/fe.md"
        )
    assert agent.tracker_path == ".claude/trackers/fe.md"


async def test_a_duplicate_agent_is_refused(database: Database, crew: Crew) -> None:
    before = len(await events(database))
    with pytest.raises(Conflict) as caught:
        async with unit_of_work(database, write=True) as session:
            await RosterService(session).add(crew.alice, SLUG, name="backend")
    assert caught.value.detail_code == "duplicate"
    assert len(await events(database)) == before


@pytest.mark.parametrize(
    ("name", "tracker_path"),
    [
        ("frontend", "/etc/passwd"),
        ("frontend", "../outside.md"),
        ("frontend", "docs/../../outside.md"),
        ("frontend", "docs\\tracker.md"),
        ("frontend", "   "),
        ("frontend", "x" * 301),
        ("Frontend", None),
        ("front end", None),
        ("-frontend", None),
    ],
)
async def test_invalid_names_and_tracker_paths_are_refused(
    database: Database, crew: Crew, name: str, tracker_path: str | None
) -> None:
    with pytest.raises(Invalid):
        async with unit_of_work(database, write=True) as session:
            await RosterService(session).add(crew.alice, SLUG, name=name, tracker_path=tracker_path)
    assert await _names(database, crew) == ["backend", "qa"]


async def test_who_may_change_the_roster(database: Database, crew: Crew) -> None:
    for actor, error in ((crew.dave, Forbidden), (crew.carol, Forbidden), (crew.erin, NotFound)):
        with pytest.raises(error):
            async with unit_of_work(database, write=True) as session:
                await RosterService(session).add(actor, SLUG, name="frontend")
    # Members add and update, only owners remove.
    async with unit_of_work(database, write=True) as session:
        await RosterService(session).add(crew.bob, SLUG, name="frontend")
        await RosterService(session).update(crew.bob, SLUG, "frontend", domain="UI")
    with pytest.raises(Forbidden):
        async with unit_of_work(database, write=True) as session:
            await RosterService(session).remove(crew.bob, SLUG, "frontend")
    async with unit_of_work(database, write=True) as session:
        await RosterService(session).remove(crew.alice, SLUG, "frontend")
    assert await _names(database, crew) == ["backend", "qa"]


async def test_update_changes_domain_and_tracker_path(database: Database, crew: Crew) -> None:
    async with unit_of_work(database, write=True) as session:
        agent = await RosterService(session).update(
            crew.bob, SLUG, "qa", domain="tests", tracker_path=".claude/trackers/qa/tracker.md"
        )
    assert (agent.domain, agent.tracker_path) == ("tests", ".claude/trackers/qa/tracker.md")
    with pytest.raises(Invalid):
        async with unit_of_work(database, write=True) as session:
            await RosterService(session).update(crew.bob, SLUG, "qa", tracker_path="/abs.md")
    with pytest.raises(NotFound):
        async with unit_of_work(database, write=True) as session:
            await RosterService(session).update(crew.bob, SLUG, "ghost", domain="x")
    async with unit_of_work(database, write=False) as session:
        stored = await RosterService(session).get(crew.dave, SLUG, "qa")
    assert stored.tracker_path == ".claude/trackers/qa/tracker.md"
    [event] = await events(database, "agent.updated")
    assert (event.subject, event.data) == (
        "agent:qa",
        {"domain": "tests", "tracker_path": ".claude/trackers/qa/tracker.md"},
    )


async def test_remove_takes_the_agent_off_the_roster(database: Database, crew: Crew) -> None:
    async with unit_of_work(database, write=True) as session:
        await RosterService(session).remove(crew.alice, SLUG, "qa")
    with pytest.raises(NotFound):
        async with unit_of_work(database, write=False) as session:
            await RosterService(session).get(crew.alice, SLUG, "qa")
    [event] = await events(database, "agent.removed")
    assert (event.subject, event.actor, event.project_id) == (
        "agent:qa",
        "alice@example.com",
        crew.project_id,
    )
    with pytest.raises(NotFound):
        async with unit_of_work(database, write=True) as session:
            await RosterService(session).remove(crew.alice, SLUG, "qa")


async def test_an_agent_a_member_acts_as_cannot_be_removed(database: Database, crew: Crew) -> None:
    with pytest.raises(Conflict) as caught:
        async with unit_of_work(database, write=True) as session:
            await RosterService(session).remove(crew.alice, SLUG, "backend")
    assert caught.value.detail_code == "agent-in-use"
    assert await events(database, "agent.removed") == []
    # Once carol is no longer pinned to it, it can go.
    async with unit_of_work(database, write=True) as session:
        await ProjectService(session).set_member(
            crew.alice, SLUG, email="carol@example.com", role=Role.MEMBER
        )
        await RosterService(session).remove(crew.alice, SLUG, "backend")
    assert await _names(database, crew) == ["qa"]


async def test_rosters_are_per_project(database: Database, crew: Crew) -> None:
    async with unit_of_work(database, write=True) as session:
        await ProjectService(session).create(crew.erin, slug="other")
        agent = await RosterService(session).add(crew.erin, "other", name="backend")
        assert isinstance(agent, Agent)
    assert await _names(database, crew) == ["backend", "qa"]
    with pytest.raises(NotFound):
        async with unit_of_work(database, write=False) as session:
            await RosterService(session).list(crew.erin, SLUG)


async def test_removing_an_agent_revokes_its_tokens_for_good(
    database: Database, settings: Settings, crew: Crew
) -> None:
    async def issue(slug: str, agent: str) -> str:
        async with unit_of_work(database, write=True) as session:
            issued = await AuthService(session, settings).create_token(
                crew.root, project_slug=slug, agent_name=agent, expires_in=timedelta(days=1)
            )
            return issued.token

    async with unit_of_work(database, write=True) as session:
        await ProjectService(session).create(crew.root, slug="other")
        await RosterService(session).add(crew.root, "other", name="qa")
    doomed = [await issue(SLUG, "qa"), await issue(SLUG, "qa")]
    kept = [await issue(SLUG, "backend"), await issue("other", "qa")]
    async with unit_of_work(database, write=True) as session:
        await RosterService(session).remove(crew.alice, SLUG, "qa")
    for token in doomed:
        with pytest.raises(Unauthenticated) as caught:
            await actor_for(database, settings, token)
        assert caught.value.detail_code == "revoked-token"
    # The same name on another project, and the other agents, keep their tokens.
    assert [(await actor_for(database, settings, t)).agent_name for t in kept] == ["backend", "qa"]
    # An agent re-added under the same name starts clean: the old tokens stay dead.
    async with unit_of_work(database, write=True) as session:
        await RosterService(session).add(crew.alice, SLUG, name="qa")
    with pytest.raises(Unauthenticated):
        await actor_for(database, settings, doomed[0])
    fresh = await issue(SLUG, "qa")
    assert (await actor_for(database, settings, fresh)).agent_name == "qa"
