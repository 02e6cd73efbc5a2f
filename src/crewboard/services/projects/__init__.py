"""Projects: access and roles, the roster of agents, the team store.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.projects.access import (
        MemberView,
        ProjectAccess,
        ProjectService,
        Role,
        may_act_as_agent,
        on_roster,
        require_on_roster,
        resolve_access,
    )
    from crewboard.services.projects.invitations import InvitationService, InvitationView
    from crewboard.services.projects.roster import RosterService
    from crewboard.services.projects.team_store import find_team, require_team, team_names

EXPORTS = {
    "InvitationService": "invitations",
    "InvitationView": "invitations",
    "MemberView": "access",
    "ProjectAccess": "access",
    "ProjectService": "access",
    "Role": "access",
    "RosterService": "roster",
    "find_team": "team_store",
    "may_act_as_agent": "access",
    "on_roster": "access",
    "require_on_roster": "access",
    "resolve_access": "access",
    "require_team": "team_store",
    "team_names": "team_store",
}
__all__ = [
    "InvitationService",
    "InvitationView",
    "MemberView",
    "ProjectAccess",
    "ProjectService",
    "Role",
    "RosterService",
    "find_team",
    "may_act_as_agent",
    "on_roster",
    "require_on_roster",
    "require_team",
    "resolve_access",
    "team_names",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
