"""Turn service results into response schemas (shared by the task and changelog routes)."""

from __future__ import annotations

from crewboard.schemas.tasks import (
    ChangelogRead,
    CompletionRead,
    TaskChangeRead,
    TaskRead,
)
from crewboard.services.tasks import ChangeResult, Completion, EntryView, TaskView


def task_read(view: TaskView) -> TaskRead:
    """A task with its dependency numbers."""
    task = view.task
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
        team=view.team,
        source=view.source,
        outcome=task.outcome,
        files=list(task.files),
        verified=task.verified,
        lease_expires_at=task.lease_expires_at,
        metadata=dict(task.meta),
        version=task.version,
        blocked_by=view.blocked_by,
        open_blockers=view.open_blockers,
        blocks=view.blocks,
        created_by=task.created_by,
        created_at=task.created_at,
        updated_at=task.updated_at,
        completed_at=task.completed_at,
    )


def change_read(result: ChangeResult) -> TaskChangeRead:
    """A change result."""
    return TaskChangeRead(
        task=task_read(result.view),
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
        verified=entry.verification,
        task_ids=view.task_numbers,
        created_by=entry.created_by,
        created_at=entry.created_at,
    )


def completion_read(done: Completion) -> CompletionRead:
    """A completion with its changelog entry."""
    change = change_read(done.result)
    return CompletionRead(
        **change.model_dump(), changelog=entry_read(done.entry) if done.entry else None
    )
