"""Task tools: TaskCreate, TaskList, TaskGet, TaskUpdate, TaskClaim (Claude Code's shapes)."""

from __future__ import annotations

from typing import Any

from crewboard.mcp.registry import Call, fit, tool
from crewboard.mcp.schemas import (
    TaskClaimArgs,
    TaskCreateArgs,
    TaskGetArgs,
    TaskListArgs,
    TaskUpdateArgs,
)
from crewboard.services.core import Invalid
from crewboard.services.tasks import (
    CLAUDE_STATUS_NAMES,
    ClaimScope,
    Status,
    TaskChange,
    TaskFilter,
    Tasks,
    TaskView,
    parse_status,
)
from crewboard.services.teams import only_team, update_task

# Claude Code's TaskList does not show deleted tasks; crewboard keeps them as cancelled.
LISTED = (Status.PENDING, Status.IN_PROGRESS, Status.BLOCKED, Status.COMPLETED)
# Service field names as Claude Code's TaskUpdate reports them.
FIELD_NAMES = {
    "title": "subject",
    "blocked_reason": "blockedReason",
    "needs_agent": "needsAgent",
    "team": "team_name",
}


def _status(value: str) -> str:
    return "deleted" if value == Status.CANCELLED.value else value


def _ids(numbers: list[int]) -> list[str]:
    return [str(n) for n in numbers]


def summary(view: TaskView) -> dict[str, Any]:
    """A task as TaskList shows it: ``blockedBy`` names only unfinished blockers."""
    task = view.task
    return {
        "id": str(task.number),
        "subject": task.title,
        "status": _status(task.status),
        "owner": task.owner,
        "blockedBy": _ids(view.open_blockers),
        "priority": task.priority,
        "tracker": task.tracker,
    }


def full(view: TaskView) -> dict[str, Any]:
    """The whole task, as TaskGet shows it."""
    task = view.task
    return {
        **summary(view),
        "description": task.description,
        "activeForm": task.active_form,
        "team_name": view.team,
        "blocks": _ids(view.blocks),
        "dependsOn": _ids(view.blocked_by),
        "blockedReason": task.blocked_reason,
        "needsAgent": task.needs_agent,
        "followUpOf": str(view.source) if view.source is not None else None,
        "leaseExpiresAt": task.lease_expires_at.isoformat() if task.lease_expires_at else None,
        "outcome": task.outcome,
        "files": list(task.files),
        "verified": task.verified,
        "completedAt": task.completed_at.isoformat() if task.completed_at else None,
        "metadata": dict(task.meta),
        "version": task.version,
        "createdBy": task.created_by,
        "updatedAt": task.updated_at.isoformat(),
    }


@tool(
    "TaskCreate",
    "Create a pending task (followUpOf: a follow-up on another agent's "
    "tracker). Returns {task: {id, subject}}.",
    TaskCreateArgs,
    write=True,
)
async def task_create(call: Call, args: TaskCreateArgs) -> dict[str, Any]:
    service = Tasks(call.session, call.settings)
    if args.followUpOf is not None:
        if args.tracker is None:
            raise Invalid("a follow-up goes on an agent's tracker: name it", field="tracker")
        extras = [
            n for n in ("activeForm", "metadata", "team_name", "blockedBy") if getattr(args, n)
        ]
        if extras:
            raise Invalid(f"{extras[0]} does not go with followUpOf", field=extras[0])
        view = await service.follow_up(
            call.actor,
            call.slug,
            args.followUpOf,
            tracker=args.tracker,
            title=args.subject,
            description=args.description,
            priority=args.priority,
        )
    else:
        view = await service.create(
            call.actor,
            call.slug,
            title=args.subject,
            description=args.description,
            active_form=args.activeForm,
            tracker=args.tracker,
            priority=args.priority,
            metadata=args.metadata,
            blocked_by=args.blockedBy,
            team=await only_team(call.session, call.actor, call.slug, args.team_name),
        )
    return {"task": {"id": str(view.task.number), "subject": view.task.title}}


@tool(
    "TaskList",
    "List tasks (by id, or with ready=true the ready queue). Paged: pass "
    "nextCursor back as cursor.",
    TaskListArgs,
    write=False,
)
async def task_list(call: Call, args: TaskListArgs) -> dict[str, Any]:
    service = Tasks(call.session, call.settings)
    statuses = (parse_status(args.status),) if args.status else LISTED
    filters = TaskFilter(
        tracker=args.tracker,
        owner=args.owner,
        statuses=statuses,
        ready=args.ready,
        team=await only_team(call.session, call.actor, call.slug, args.team_name),
    )

    async def fetch(limit: int) -> dict[str, Any]:
        page = await service.list_views(
            call.actor, call.slug, filters, cursor=args.cursor, limit=limit
        )
        return {"tasks": [summary(view) for view in page.items], "nextCursor": page.next_cursor}

    return await fit(fetch, args.limit)


@tool(
    "TaskGet",
    "One task in full: blocks, blockedBy, owner, lease, completion record.",
    TaskGetArgs,
    write=False,
)
async def task_get(call: Call, args: TaskGetArgs) -> dict[str, Any]:
    return full(await Tasks(call.session, call.settings).get(call.actor, call.slug, args.taskId))


@tool(
    "TaskUpdate",
    f"Change a task. status: {'|'.join(CLAUDE_STATUS_NAMES)}; "
    "blocked takes blockedReason (+needsAgent), completed takes outcome, files, verified. "
    "owner=yourself on an unowned task claims it.",
    TaskUpdateArgs,
    write=True,
)
async def task_update(call: Call, args: TaskUpdateArgs) -> dict[str, Any]:
    sent = args.model_fields_set
    clear_owner = "owner" in sent and not args.owner  # null or "" releases the task
    change = TaskChange(
        title=args.subject,
        description=args.description,
        active_form=args.activeForm,
        owner=args.owner or None,
        clear_owner=clear_owner,
        status=parse_status(args.status) if args.status else None,
        blocked_reason=args.blockedReason,
        needs_agent=args.needsAgent,
        outcome=args.outcome,
        files=args.files,
        verified=args.verified,
        metadata=args.metadata,
        add_blocked_by=list(args.addBlockedBy),
        add_blocks=list(args.addBlocks),
    )
    service = Tasks(call.session, call.settings)
    result = await update_task(
        service, call.actor, call.slug, args.taskId, change, version=args.version
    )
    answer: dict[str, Any] = {
        "success": True,
        "taskId": str(result.task.number),
        "updatedFields": [FIELD_NAMES.get(f, f) for f in result.updated_fields],
        "version": result.task.version,
    }
    if result.status_change:
        before, after = result.status_change
        answer["statusChange"] = {"from": _status(before), "to": _status(after)}
    return answer


@tool(
    "TaskClaim",
    "Claim a task atomically (taskId), or the best ready one (of team_name, "
    "else your tracker and shared tasks). Returns the task.",
    TaskClaimArgs,
    write=True,
)
async def task_claim(call: Call, args: TaskClaimArgs) -> dict[str, Any]:
    service = Tasks(call.session, call.settings)
    if args.taskId is not None:
        if args.team_name is not None:
            raise Invalid("give taskId or team_name, not both", field="team_name")
        view = await service.claim(call.actor, call.slug, args.taskId)
    else:
        view = await service.claim_next(call.actor, call.slug, ClaimScope(team=args.team_name))
    return full(view)


TOOLS = [task_create, task_list, task_get, task_update, task_claim]
