"""Team, tracker and changelog tools: TeamCreate, TeamDelete, TrackerRead, ChangelogAppend."""

from __future__ import annotations

from typing import Any

from crewboard.mcp.registry import RESULT_BUDGET, Call, tool
from crewboard.mcp.schemas import (
    ChangelogAppendArgs,
    TeamCreateArgs,
    TeamDeleteArgs,
    TrackerReadArgs,
)
from crewboard.services.tasks import ChangelogDraft, ChangelogService, TrackerService
from crewboard.services.teams import TeamService

TRUNCATED = "\n… (truncated; TaskList shows every task)\n"
COMPLETED = 20  # completed tasks an agent reads at the start of a session; TaskList has all


@tool("TeamCreate", "Create a team of roster agents that you lead.", TeamCreateArgs, write=True)
async def team_create(call: Call, args: TeamCreateArgs) -> dict[str, Any]:
    view = await TeamService(call.session, call.settings).create(
        call.actor,
        call.slug,
        name=args.team_name,
        description=args.description,
        members=args.members,
    )
    return {
        "team_name": view.team.name,
        "lead": view.team.lead,
        "members": [m.agent_name for m in view.members],
    }


@tool(
    "TeamDelete",
    "Delete a team you lead (refused while members hold its work).",
    TeamDeleteArgs,
    write=True,
)
async def team_delete(call: Call, args: TeamDeleteArgs) -> dict[str, Any]:
    done = await TeamService(call.session, call.settings).delete(
        call.actor, call.slug, args.team_name, force=False
    )
    return {"success": True, "team_name": done.team.name, "detached": done.detached}


@tool(
    "TrackerRead",
    "An agent's tracker as markdown (Pending, In Progress, Blocked, Completed). Default: yours.",
    TrackerReadArgs,
    write=False,
)
async def tracker_read(call: Call, args: TrackerReadArgs) -> str:
    service = TrackerService(call.session, call.settings)
    text = await service.markdown(call.actor, call.slug, args.agent, completed=COMPLETED)
    if len(text) > RESULT_BUDGET:
        text = await service.markdown(call.actor, call.slug, args.agent, completed=5)
    if len(text) > RESULT_BUDGET:
        text = text[: text.rfind("\n", 0, RESULT_BUDGET - len(TRUNCATED))] + TRUNCATED
    return text


@tool(
    "ChangelogAppend",
    "Append a changelog entry (problem, fix, files, verified).",
    ChangelogAppendArgs,
    write=True,
)
async def changelog_append(call: Call, args: ChangelogAppendArgs) -> dict[str, Any]:
    draft = ChangelogDraft(
        title=args.title,
        problem=args.problem,
        fix=args.fix,
        verification=args.verified,
        files=args.files,
        task_numbers=args.taskIds,
    )
    view = await ChangelogService(call.session, call.settings).append(call.actor, call.slug, draft)
    return {
        "id": view.entry.id,
        "title": view.entry.title,
        "taskIds": [str(n) for n in view.task_numbers],
    }


TOOLS = [team_create, team_delete, tracker_read, changelog_append]
