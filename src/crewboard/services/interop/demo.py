"""A demo project for newcomers: the template's six agents, two teams, tasks in every state,
messages (protocol ones too) and changelog entries, all made through the services."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import Project, User, clock_at, utcnow
from crewboard.services.accounts import UserService
from crewboard.services.core import Actor, Conflict, Invalid, check_email
from crewboard.services.interop.demo_story import DAY_START, Beat, Story
from crewboard.services.projects import ProjectService, RosterService
from crewboard.services.tasks import Tasks
from crewboard.services.teams import TeamService

AGENTS = (
    ("architect", "System design, interfaces, reviews of structure"),
    ("frontend", "Pages, components, accessibility"),
    ("backend", "API, services, database"),
    ("domain-expert", "Business rules and the words for them"),
    ("reviewer", "Code review"),
    ("qa", "Tests, end to end"),
)
DEMO_EMAIL = "demo@example.com"  # the demo's owner on an instance with nobody yet
# (title, tracker, team, priority, blocked_by): the week's work, numbered 1.. in this order.
TASKS = (
    ("Sketch the checkout data model", "architect", "core", 1, ()),
    ("Orders API: create and list", "backend", "core", 1, (1,)),
    ("Checkout page", "frontend", "web", 1, (2,)),
    ("Tax rules per country", "domain-expert", "core", 0, ()),
    ("Review the orders API", "reviewer", None, 2, (2,)),
    ("End-to-end test of checkout", "qa", "web", 2, (3,)),
    ("Accessible form errors", "frontend", "web", 2, ()),
    ("Rate-limit the login", "backend", None, 1, ()),
    ("Release notes", None, None, 3, (6,)),
    ("Payment states and refunds", "domain-expert", "core", 1, (1,)),
    ("Payments API", "backend", "core", 1, (10,)),
    ("Order history page", "frontend", "web", 2, (2,)),
    ("Review the checkout page", "reviewer", "web", 2, (3,)),
    ("Load test the orders API", "qa", None, 2, (2,)),
    ("Interfaces for the shipping service", "architect", "core", 2, ()),
    ("Shipping cost rules", "domain-expert", "core", 2, (15,)),
    ("Shipping quotes endpoint", "backend", "core", 2, (16,)),
    ("Address form with validation", "frontend", "web", 2, ()),
    ("Review the payments API", "reviewer", None, 2, (11,)),
    ("Test refunds end to end", "qa", "web", 2, (11, 12)),
    ("Error pages for failed payments", "frontend", "web", 3, (11,)),
    ("Audit log for order changes", "backend", None, 3, ()),
    ("Refund button on the order page", "frontend", "web", 2, (11,)),
    ("Data retention rules for orders", "domain-expert", None, 3, ()),
    ("Cache the order lists", "backend", None, 3, (2,)),
    ("Review the shipping quotes", "reviewer", "core", 2, (17,)),
    ("Visual regression suite", "qa", "web", 3, (18,)),
    ("Event model for order history", "architect", "core", 2, (15,)),
    ("Shipping options on checkout", "frontend", "web", 2, (17,)),
    ("Test shipping quotes end to end", "qa", "web", 2, (17, 29)),
)
DAYS = 4  # the story starts this many days ago, at the start of the working day
QUIET = timedelta(hours=2)  # and stops this long before now; the rest happens now


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
    session: AsyncSession, settings: Settings, *, slug: str, email: str | None
) -> DemoLogin:
    """Create the demo project (refused if it exists) and its past week, owned by ``email``,
    or by the one admin when none is named (a new demo user when there is nobody yet)."""
    if await session.scalar(select(Project.id).where(Project.slug == slug)) is not None:
        raise Conflict(f"project {slug} exists; pick another name with --project", code="duplicate")
    now = utcnow()
    start = datetime.combine(now.date() - timedelta(days=DAYS), time(DAY_START), tzinfo=UTC)
    with clock_at(start - timedelta(minutes=50)):
        user, password = await _owner(session, settings, email)
        project = await _setup(session, settings, slug, user)
    actors = {name: _agent(user, project, name) for name, _ in AGENTS}
    story = Story(session, settings, slug, actors, user.email)
    await story.play(Beat(start=start, end=now - QUIET))
    await story.today()
    return DemoLogin(user.email, password)


async def _owner(
    session: AsyncSession, settings: Settings, email: str | None
) -> tuple[User, str | None]:
    """Whoever runs the demo: the named user, else the only admin, else a new demo user with
    a random password (returned once)."""
    if email is None:
        admins = (await session.scalars(select(User).where(User.is_admin).limit(3))).all()
        if len(admins) == 1:
            return admins[0], None
        anyone = await session.scalar(select(User.id).limit(1))
        if anyone is not None:
            raise Invalid(
                "name who owns the demo with --email (an existing user, or a new one)",
                field="email",
            )
        email = DEMO_EMAIL
    user = await session.scalar(select(User).where(User.email == check_email(email)))
    if user is not None:
        return user, None
    password = secrets.token_urlsafe(12)
    user = await UserService(session, settings).create(
        Actor.system(), email=email, name="Demo lead", password=password
    )
    return user, password


async def _setup(session: AsyncSession, settings: Settings, slug: str, user: User) -> Project:
    """The project, its roster, its two teams and the week's tasks."""
    project = await ProjectService(session).create(
        Actor.system(), slug=slug, name="Demo shop", owner_id=user.id
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
    return project
