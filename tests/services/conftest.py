"""A small crew in one project, shared by the service tests of projects, roster and tokens."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from crewboard.services.core import Actor
from crewboard.services.projects import Role
from tests.support.factory import Factory
from tests.support.world import person

SLUG = "web"


@dataclass(frozen=True)
class Crew:
    """Project ``web``: alice owns it, bob is a member, carol acts as agent ``backend``,
    dave only watches; erin is not in it; root is an instance admin. Roster: backend, qa."""

    project_id: int
    root: Actor
    alice: Actor
    bob: Actor
    carol: Actor
    dave: Actor
    erin: Actor


@pytest.fixture
async def crew(factory: Factory) -> Crew:
    ids = {
        name: await factory.user(f"{name}@example.com", admin=name == "root")
        for name in ("root", "alice", "bob", "carol", "dave", "erin")
    }
    project_id = await factory.project(SLUG, ids["alice"])
    await factory.agent(SLUG, "backend", "APIs and services")
    await factory.agent(SLUG, "qa")
    await factory.member(SLUG, "bob@example.com", Role.MEMBER)
    await factory.member(SLUG, "carol@example.com", Role.AGENT, "backend")
    await factory.member(SLUG, "dave@example.com", Role.VIEWER)

    def actor(name: str) -> Actor:
        return person(ids[name], f"{name}@example.com", admin=name == "root")

    return Crew(
        project_id=project_id,
        root=actor("root"),
        alice=actor("alice"),
        bob=actor("bob"),
        carol=actor("carol"),
        dave=actor("dave"),
        erin=actor("erin"),
    )
