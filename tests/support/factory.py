"""Test data made through the real services (no fixtures written as raw SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.accounts import AuthService, UserService
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.projects import ProjectService, Role, RosterService

SYSTEM = Actor.system()


@dataclass
class Factory:
    """Creates users, projects, agents and tokens in the test database."""

    database: Database
    settings: Settings

    async def user(
        self, email: str, *, admin: bool = False, password: str | None = None, name: str = ""
    ) -> int:
        async with unit_of_work(self.database, write=True) as session:
            user = await UserService(session, self.settings).create(
                SYSTEM, email=email, name=name or None, password=password, is_admin=admin
            )
            return user.id

    async def project(self, slug: str, owner_id: int) -> int:
        async with unit_of_work(self.database, write=True) as session:
            project = await ProjectService(session).create(SYSTEM, slug=slug, owner_id=owner_id)
            return project.id

    async def member(self, slug: str, email: str, role: Role, agent: str | None = None) -> None:
        async with unit_of_work(self.database, write=True) as session:
            await ProjectService(session).set_member(
                SYSTEM, slug, email=email, role=role, agent_name=agent
            )

    async def agent(self, slug: str, name: str, domain: str = "") -> None:
        async with unit_of_work(self.database, write=True) as session:
            await RosterService(session).add(SYSTEM, slug, name=name, domain=domain)

    async def token(
        self,
        user_id: int,
        *,
        project: str | None = None,
        agent: str | None = None,
        read_only: bool = False,
        expires_in: timedelta | None = None,
    ) -> str:
        _, token = await issue_token(
            self.database,
            self.settings,
            user_id,
            project=project,
            agent=agent,
            read_only=read_only,
            expires_in=expires_in,
        )
        return token


async def issue_token(
    database: Database,
    settings: Settings,
    user_id: int,
    *,
    project: str | None = None,
    agent: str | None = None,
    read_only: bool = False,
    expires_in: timedelta | None = None,
) -> tuple[int, str]:
    """A token made through the services, and its credential's id (``Factory.token``: the token)."""
    async with unit_of_work(database, write=True) as session:
        issued = await AuthService(session, settings).create_token(
            SYSTEM,
            user_id=user_id,
            project_slug=project,
            agent_name=agent,
            read_only=read_only,
            expires_in=expires_in,
        )
        return issued.record.id, issued.token
