"""Running a crew from the web: create a project, its members, its roster, its agents'
tokens (the secret shown once, with the ``.mcp.json`` that uses it), and one's own web
sessions. Every action is one call of the service the REST route calls, so the rules
(owners manage members, members add agents, only owners remove them, a token only for an
agent one may act as) are the services' own; the pages only offer what they allow.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, Response

from crewboard.services.accounts import AuthService
from crewboard.services.core import (
    AGENT_NAME_MAX,
    DOMAIN_MAX,
    EMAIL_MAX,
    ID_MAX,
    NAME_MAX,
    SLUG_MAX,
    TOKEN_DAYS_MAX,
    TOKEN_NAME_MAX,
    Invalid,
)
from crewboard.services.projects import InvitationService, ProjectService, Role, RosterService
from crewboard.web.auth import Viewer, ViewerDep
from crewboard.web.context import base_context, project_context
from crewboard.web.pages.board import Slug
from crewboard.web.render import page, redirect
from crewboard.web.routing import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)

AgentPath = Annotated[str, Path(max_length=AGENT_NAME_MAX)]
Id = Annotated[int, Path(ge=1, le=ID_MAX)]
ROLES = tuple(role.value for role in (Role.OWNER, Role.MEMBER, Role.AGENT, Role.VIEWER))
TOKEN_DAYS_DEFAULT = 30


def _settings_url(slug: str, part: str = "") -> str:
    return f"/p/{slug}/settings{'#' + part if part else ''}"


def _opt(value: str) -> str | None:
    value = value.strip()
    return value or None


async def _settings_context(viewer: Viewer, slug: str) -> dict[str, Any]:
    context = await project_context(viewer, slug, "settings")
    project = context["project"]
    roster = await RosterService(viewer.session).list(viewer.actor, slug, limit=200)
    members = await ProjectService(viewer.session).list_members(viewer.actor, slug, limit=200)
    rank = context["access"].role.rank
    tokens = []
    if viewer.actor.user_id is not None:  # a person's page: their tokens for this project
        listed = await AuthService(viewer.session, viewer.settings).list_tokens(
            viewer.actor, limit=200
        )
        tokens = [t for t in listed.items if t.project_id == project.id and t.revoked_at is None]
    writes = bool(context["can_write"])
    is_owner = writes and rank >= Role.OWNER.rank
    invited = (
        await InvitationService(viewer.session).pending(viewer.actor, slug) if is_owner else []
    )
    context.update(
        invitations=invited,
        roster=roster.items,
        members=members.items,
        tokens=tokens,
        roles=ROLES,
        token_days=TOKEN_DAYS_DEFAULT,
        token_days_max=TOKEN_DAYS_MAX,
        is_owner=is_owner,
        may_add_agents=writes and rank >= Role.MEMBER.rank,
    )
    return context


@router.get("/p/{slug}/settings")
async def settings_page(request: Request, viewer: ViewerDep, slug: Slug) -> Response:
    """Members, roster and agent tokens of a project."""
    return page(request, "settings.html", await _settings_context(viewer, slug))


@router.post("/projects")
async def create_project(
    viewer: ViewerDep,
    slug: Annotated[str, Form(max_length=SLUG_MAX)],
    name: Annotated[str, Form(max_length=NAME_MAX)] = "",
) -> Response:
    """A new project; its creator is its owner (the rule of ``POST /projects``)."""
    project = await ProjectService(viewer.session).create(
        viewer.actor, slug=slug.strip(), name=_opt(name)
    )
    return redirect(_settings_url(project.slug))


@router.post("/p/{slug}/settings/members")
async def set_member(
    viewer: ViewerDep,
    slug: Slug,
    email: Annotated[str, Form(max_length=EMAIL_MAX)],
    role: Annotated[str, Form(max_length=16)],
    agent: Annotated[str, Form(max_length=AGENT_NAME_MAX)] = "",
) -> Response:
    """Invite a person by e-mail, or change a member's role (owners)."""
    await InvitationService(viewer.session).offer(
        viewer.actor, slug, email=email, role=_role(role), agent_name=_opt(agent)
    )
    return redirect(_settings_url(slug, "members"))


def _role(value: str) -> Role:
    if value not in ROLES:
        raise Invalid(f"a role is one of {', '.join(ROLES)}", field="role")
    return Role(value)


@router.post("/p/{slug}/settings/members/{user_id}/remove")
async def remove_member(viewer: ViewerDep, slug: Slug, user_id: Id) -> Response:
    """Take a person out of the project (owners; never the last owner)."""
    await ProjectService(viewer.session).remove_member(viewer.actor, slug, user_id)
    return redirect(_settings_url(slug, "members"))


@router.post("/p/{slug}/settings/agents")
async def add_agent(
    viewer: ViewerDep,
    slug: Slug,
    name: Annotated[str, Form(max_length=AGENT_NAME_MAX)],
    domain: Annotated[str, Form(max_length=DOMAIN_MAX)] = "",
) -> Response:
    """Put an agent on the roster (members and owners)."""
    await RosterService(viewer.session).add(
        viewer.actor, slug, name=name.strip(), domain=domain.strip()
    )
    return redirect(_settings_url(slug, "roster"))


@router.post("/p/{slug}/settings/agents/{name}/remove")
async def remove_agent(viewer: ViewerDep, slug: Slug, name: AgentPath) -> Response:
    """Take an agent off the roster (owners); its tokens go with it."""
    await RosterService(viewer.session).remove(viewer.actor, slug, name)
    return redirect(_settings_url(slug, "roster"))


@router.post("/p/{slug}/settings/tokens")
async def issue_token(
    request: Request,
    viewer: ViewerDep,
    slug: Slug,
    agent: Annotated[str, Form(max_length=AGENT_NAME_MAX)],
    days: Annotated[int, Form(ge=1, le=TOKEN_DAYS_MAX)] = TOKEN_DAYS_DEFAULT,
    name: Annotated[str, Form(max_length=TOKEN_NAME_MAX)] = "",
) -> Response:
    """An agent token of this project, shown once on the answer (never in a URL, never again)."""
    issued = await AuthService(viewer.session, viewer.settings).create_token(
        viewer.actor,
        project_slug=slug,
        agent_name=agent.strip(),
        expires_in=timedelta(days=days),
        name=_opt(name),
    )
    context = await _settings_context(viewer, slug)
    base = str(request.base_url).rstrip("/")
    context.update(issued=issued, snippet=mcp_json(base, issued.token), base_url=base)
    return page(request, "settings.html", context, status=201)


def mcp_json(base_url: str, token: str) -> str:
    """The ``.mcp.json`` that connects Claude Code to this server as the token's agent."""
    entry = {
        "type": "http",
        "url": f"{base_url}/mcp",
        "headers": {"Authorization": f"Bearer {token}"},
    }
    return json.dumps({"mcpServers": {"crewboard": entry}}, indent=2)


@router.post("/p/{slug}/settings/tokens/{token_id}/revoke")
async def revoke_token(viewer: ViewerDep, slug: Slug, token_id: Id) -> Response:
    """Revoke a token (its owner or an admin): the agent's next call is refused."""
    # 404 for an outsider, 403 for a viewer: as for every other change to the project.
    await ProjectService(viewer.session).access(viewer.actor, slug, need=Role.AGENT, write=True)
    await AuthService(viewer.session, viewer.settings).revoke_token(viewer.actor, token_id)
    return redirect(_settings_url(slug, "tokens"))


@router.get("/account")
async def account(request: Request, viewer: ViewerDep) -> Response:
    """One's open web sessions and every token one holds."""
    context = await base_context(viewer)
    auth = AuthService(viewer.session, viewer.settings)
    sessions = await auth.list_web_sessions(viewer.actor)
    tokens = await auth.list_tokens(viewer.actor, user_id=viewer.actor.user_id, limit=200)
    context.update(
        invitations=await InvitationService(viewer.session).mine(viewer.actor),
        sessions=sessions,
        tokens=[t for t in tokens.items if t.revoked_at is None],
        current=viewer.actor.session_id,
        active="account",
    )
    return page(request, "account.html", context)


@router.post("/account/credentials/{credential_id}/revoke")
async def revoke_credential(viewer: ViewerDep, credential_id: Id) -> Response:
    """End one of one's web sessions, or revoke one of one's tokens."""
    await AuthService(viewer.session, viewer.settings).revoke_token(viewer.actor, credential_id)
    if credential_id == viewer.actor.session_id:
        return redirect("/login")
    return redirect("/account")
