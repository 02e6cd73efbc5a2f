"""Teams: shared task lists, members, and Claude Code's team tools.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.teams.agent_teams import (
        local_agent,
        only_team,
        sender_team,
        update_task,
    )
    from crewboard.services.teams.service import TeamService, TeamView

EXPORTS = {
    "TeamService": "service",
    "TeamView": "service",
    "local_agent": "agent_teams",
    "only_team": "agent_teams",
    "sender_team": "agent_teams",
    "update_task": "agent_teams",
}
__all__ = [
    "TeamService",
    "TeamView",
    "local_agent",
    "only_team",
    "sender_team",
    "update_task",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
