"""What every project page shows around its content: the project switcher, the roster for
the forms' agent pickers, the viewer and the CSRF token."""

from __future__ import annotations

from typing import Any

from crewboard.services.projects import ProjectService, Role, RosterService
from crewboard.services.tasks import Status
from crewboard.web.auth import Viewer

COLUMNS: tuple[tuple[str, str], ...] = (
    (Status.PENDING.value, "Pending"),
    (Status.IN_PROGRESS.value, "In Progress"),
    (Status.BLOCKED.value, "Blocked"),
    (Status.COMPLETED.value, "Completed"),
)
NAV: tuple[tuple[str, str], ...] = (
    ("board", "Board"),
    ("teams", "Teams"),
    ("roster", "Roster"),
    ("inbox", "Inbox"),
    ("conversations", "Conversations"),
    ("changelog", "Changelog"),
    ("activity", "Activity"),
    ("graph", "Graph"),
    ("charts", "Charts"),
    ("settings", "Settings"),
)


async def base_context(viewer: Viewer) -> dict[str, Any]:
    """The viewer, their projects (the switcher) and the CSRF token."""
    projects = await ProjectService(viewer.session).list(viewer.actor, limit=200)
    return {
        "viewer": viewer.actor.label,
        "csrf": viewer.csrf,
        "projects": projects.items,
        "project": None,
        "nav": NAV,
        "active": "",
    }


async def project_context(viewer: Viewer, slug: str, active: str) -> dict[str, Any]:
    """``base_context`` plus the project (404 for an outsider), the role and the roster."""
    access = await ProjectService(viewer.session).access(viewer.actor, slug)
    roster = await RosterService(viewer.session).list(viewer.actor, slug, limit=200)
    context = await base_context(viewer)
    context.update(
        access=access,
        project=access.project,
        slug=access.project.slug,
        role=access.role.value,
        acts_as=access.agent_name,
        can_write=access.role.rank >= Role.AGENT.rank and "write" in viewer.actor.scopes,
        is_member=access.role.rank >= Role.MEMBER.rank,
        agents=[a.name for a in roster.items],
        active=active,
        columns=COLUMNS,
    )
    return context
