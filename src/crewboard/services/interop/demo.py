"""A demo project for newcomers: the template's six agents, two teams, tasks in every state,
messages (protocol ones too) and changelog entries, all made through the services."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import Project, User
from crewboard.services.accounts import UserService
from crewboard.services.core import Actor, Conflict
from crewboard.services.messages import MessageService, Outgoing
from crewboard.services.projects import ProjectService, RosterService
from crewboard.services.tasks import ChangelogDraft, Tasks
from crewboard.services.teams import TeamService

AGENTS = (
    ("architect", "System design, interfaces, reviews of structure"),
    ("frontend", "Pages, components, accessibility"),
    ("backend", "API, services, database"),
    ("domain-expert", "Business rules and the words for them"),
    ("reviewer", "Code review"),
    ("qa", "Tests, end to end"),
)
# (title, tracker, team, priority, blocked_by)
TASKS = (
    ("Sketch the checkout data model", "architect", "core", 1, ()),
    ("Orders API: create and list", "backend", "core", 1, (1,)),
    ("Checkout page", "frontend", "web", 1, (2,)),
    ("Tax rules per country", "domain-expert", "core", 0, ()),
    ("Review the orders API", "reviewer", None, 2, (2,)),
    ("End-to-end test of checkout", "qa", "web", 2, (3,)),
    ("Accessible form errors", "frontend", "web", 2, ()),
    ("Rate-limit the login", "backend", None, 1, ()),
    ("Release notes", None, None, 3, ()),
)


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """How to log in to the demo: the e-mail, and the password when one was made now."""

    email: str
    password: str | None


def _agent(user: User, project: Project, name: str) -> Actor:
    """The demo's owner acting as one of the agents (owners may act for any agent)."""
    return Actor(
        user_id=user.id,
        label=f"{name} ({user.email})",
        project_id=project.id,
        project_slug=project.slug,
        agent_name=name,
    )


async def seed_demo(
    session: AsyncSession, settings: Settings, *, slug: str, email: str
) -> DemoLogin:
    """Create the demo project (refused if it exists) owned by ``email``; a new user gets a
    random password, returned once."""
    system = Actor.system()
    if await session.scalar(select(Project.id).where(Project.slug == slug)) is not None:
        raise Conflict(f"project {slug} exists; pick another name with --project", code="duplicate")
    users = UserService(session, settings)
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    password = None
    if user is None:
        password = secrets.token_urlsafe(12)
        user = await users.create(system, email=email, name="Demo lead", password=password)
    project = await ProjectService(session).create(
        system, slug=slug, name="Demo shop", owner_id=user.id
    )
    owner = Actor(user_id=user.id, label=user.email, is_admin=user.is_admin)
    roster = RosterService(session)
    for name, domain in AGENTS:
        await roster.add(owner, slug, name=name, domain=domain)
    teams = TeamService(session, settings)
    await teams.create(
        owner,
        slug,
        name="core",
        description="Model, API and rules",
        lead="architect",
        members=["backend", "domain-expert"],
    )
    await teams.create(
        owner,
        slug,
        name="web",
        description="What shoppers see",
        lead="frontend",
        members=["qa", "reviewer"],
    )
    tasks = Tasks(session, settings)
    for title, tracker, team, priority, blocked_by in TASKS:
        await tasks.create(
            owner,
            slug,
            title=title,
            tracker=tracker,
            team=team,
            priority=priority,
            blocked_by=blocked_by,
            description=f"Demo task for {tracker or 'anyone'}.",
        )
    await _play(session, settings, user, project)
    return DemoLogin(user.email, password)


async def _play(session: AsyncSession, settings: Settings, user: User, project: Project) -> None:
    """Move the tasks through every state and let the agents talk."""
    slug, tasks = project.slug, Tasks(session, settings)
    architect, backend = _agent(user, project, "architect"), _agent(user, project, "backend")
    frontend, qa = _agent(user, project, "frontend"), _agent(user, project, "qa")
    expert = _agent(user, project, "domain-expert")
    await tasks.claim(architect, slug, 1)
    await tasks.complete(
        architect,
        slug,
        1,
        outcome="Orders, lines and payments modelled",
        files=["docs/model.md"],
        verified="reviewed with backend",
        changelog=ChangelogDraft(
            title="Checkout data model",
            problem="No shared model for orders",
            fix="Orders, order lines and payments with their states",
            verification="Reviewed",
            files=["docs/model.md"],
        ),
    )
    await tasks.claim(backend, slug, 2)
    await tasks.claim(expert, slug, 4)
    await tasks.block(expert, slug, 4, reason="Which countries at launch?", needs_agent="architect")
    await tasks.claim(frontend, slug, 7)
    await tasks.block(frontend, slug, 7, reason="Needs the API error format", needs_agent="backend")
    await tasks.claim(backend, slug, 8)
    await tasks.complete(
        backend,
        slug,
        8,
        outcome="Login limited per e-mail and client",
        files=["api/auth.py"],
        verified="pytest tests/api",
        changelog=ChangelogDraft(
            title="Login rate limit",
            problem="Unlimited password guesses",
            fix="Throttle after 5 failures",
            verification="pytest",
            files=["api/auth.py"],
        ),
    )
    await tasks.follow_up(backend, slug, 8, tracker="qa", title="Test the login throttle")
    messages = MessageService(session)
    ask = await messages.send(
        frontend,
        slug,
        Outgoing(
            to="backend", body="What does a validation error look like?", summary="error format"
        ),
    )
    await messages.send(
        backend,
        slug,
        Outgoing(reply_to=ask.message.id, body="RFC 9457 problem+json with an errors list."),
    )
    await messages.send(
        architect,
        slug,
        Outgoing(team="core", kind="broadcast", body="Model is in docs/model.md; please read it."),
    )
    plan = await messages.send(
        qa,
        slug,
        Outgoing(to="architect", kind="plan_approval_request", body="Plan: one e2e test per step."),
    )
    await messages.send(
        architect,
        slug,
        Outgoing(
            kind="plan_approval_response",
            request_id=plan.message.request_id,
            approve=True,
            body="Go ahead.",
        ),
    )
    await messages.send(
        expert, slug, Outgoing(to=f"@{user.email}", body="Need a decision on launch countries.")
    )
