"""Turn service results into response schemas (shared by the task and changelog routes)."""

from __future__ import annotations

from crewboard.models.tasks import Task
from crewboard.schemas.tasks import (
    ChangelogRead,
    CompletionRead,
    TaskChangeRead,
    TaskRead,
)
from crewboard.services.tasks import ChangeResult, Completion, EntryView, TaskLinks, Tasks


def task_read(task: Task, links: TaskLinks) -> TaskRead:
    """A task with its dependency numbers."""
    return TaskRead(
        number=task.number,
        title=task.title,
        description=task.description,
        active_form=task.active_form,
        tracker=task.tracker,
        owner=task.owner,
        status=task.status,
        priority=task.priority,
        blocked_reason=task.blocked_reason,
        needs_agent=task.needs_agent,
        team=links.team,
        source=links.source,
        outcome=task.outcome,
        files=list(task.files),
        verified=task.verified,
        lease_expires_at=task.lease_expires_at,
        metadata=dict(task.meta),
        version=task.version,
        blocked_by=links.blocked_by,
        open_blockers=links.open_blockers,
        blocks=links.blocks,
        created_by=task.created_by,
        created_at=task.created_at,
        updated_at=task.updated_at,
        completed_at=task.completed_at,
    )


async def tasks_read(service: Tasks, tasks: list[Task]) -> list[TaskRead]:
    """Several tasks, their links fetched in a fixed number of queries."""
    links = await service.links(tasks)
    return [task_read(t, links[t.id]) for t in tasks]


async def change_read(service: Tasks, result: ChangeResult) -> TaskChangeRead:
    """A change result."""
    (read,) = await tasks_read(service, [result.task])
    return TaskChangeRead(
        task=read,
        updated_fields=result.updated_fields,
        status_change=list(result.status_change) if result.status_change else None,
    )


def entry_read(view: EntryView) -> ChangelogRead:
    """A changelog entry."""
    entry = view.entry
    return ChangelogRead(
        id=entry.id,
        agent=entry.agent,
        title=entry.title,
        problem=entry.problem,
        fix=entry.fix,
        files=list(entry.files),
        verification=entry.verification,
        task_ids=view.task_numbers,
        created_by=entry.created_by,
        created_at=entry.created_at,
    )


async def completion_read(service: Tasks, done: Completion) -> CompletionRead:
    """A completion with its changelog entry."""
    change = await change_read(service, done.result)
    return CompletionRead(
        **change.model_dump(), changelog=entry_read(done.entry) if done.entry else None
    )
