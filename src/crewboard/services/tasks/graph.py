"""The dependency graph: "A is blocked by B" edges within one project, never a cycle."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.models import Project
from crewboard.models.tasks import Task, TaskDependency
from crewboard.services.core import Conflict, Invalid, NotFound
from crewboard.services.projects import ProjectAccess
from crewboard.services.tasks.rules import MAX_LINKS_PER_CALL


async def _tasks_by_number(
    session: AsyncSession, access: ProjectAccess, numbers: Sequence[int], field: str = "blocked_by"
) -> dict[int, Task]:
    if len(numbers) > MAX_LINKS_PER_CALL:
        raise Invalid(f"at most {MAX_LINKS_PER_CALL} dependencies per call", field=field)
    rows = await session.scalars(
        select(Task).where(Task.project_id == access.project.id, Task.number.in_(numbers))
    )
    found = {t.number: t for t in rows}
    missing = sorted(set(numbers) - set(found))
    if missing:
        raise NotFound("no task " + ", ".join(f"#{n}" for n in missing), field=field)
    return found


async def _reaches(session: AsyncSession, start_id: int, target_id: int) -> bool:
    """Does ``start`` (transitively) wait on ``target``?"""
    chain = (
        select(TaskDependency.blocked_by_id.label("id"))
        .where(TaskDependency.task_id == start_id)
        .cte("chain", recursive=True)
    )
    chain = chain.union(
        select(TaskDependency.blocked_by_id).join(chain, TaskDependency.task_id == chain.c.id)
    )
    hit = await session.scalar(select(literal(1)).where(chain.c.id == target_id).limit(1))
    return hit is not None


async def _link(session: AsyncSession, waiting: Task, blocker: Task) -> bool:
    """Add "waiting is blocked by blocker"; refuse a cycle. False if it already existed."""
    if waiting.id == blocker.id:
        raise Invalid(f"task #{waiting.number} cannot wait on itself", code="dependency-cycle")
    if await session.get(TaskDependency, (waiting.id, blocker.id)) is not None:
        return False
    if await _reaches(session, blocker.id, waiting.id):
        raise Conflict(
            f"#{waiting.number} waiting on #{blocker.number} would close a cycle",
            code="dependency-cycle",
        )
    session.add(TaskDependency(task_id=waiting.id, blocked_by_id=blocker.id))
    await session.flush()
    return True


async def _lock_graph(session: AsyncSession, access: ProjectAccess) -> None:
    # Two concurrent edges A->B and B->A would each pass the cycle check alone; serialise
    # dependency changes per project (the SQLite write lock already does).
    await session.execute(
        select(Project.id).where(Project.id == access.project.id).with_for_update()
    )


async def link_blockers(
    session: AsyncSession, access: ProjectAccess, task: Task, numbers: Sequence[int]
) -> tuple[list[int], dict[int, Task]]:
    """``task`` waits on each of ``numbers`` (the caller checks permissions: edges.py);
    returns the numbers newly linked, and the blockers by number (a new task's view is built
    from them without asking the database again)."""
    if not numbers:
        return [], {}
    await _lock_graph(session, access)
    found = await _tasks_by_number(session, access, numbers)
    return [n for n in dict.fromkeys(numbers) if await _link(session, task, found[n])], found


async def link_dependents(
    session: AsyncSession,
    access: ProjectAccess,
    task: Task,
    numbers: Sequence[int],
    *,
    check: Callable[[ProjectAccess, Task], Awaitable[None]],
) -> tuple[list[int], dict[int, Task]]:
    """Each of ``numbers`` waits on ``task``, each first passing ``check`` (nothing is
    linked unless all pass); returns the numbers newly linked and the tasks by number."""
    if not numbers:
        return [], {}
    await _lock_graph(session, access)
    found = await _tasks_by_number(session, access, numbers, "blocks")
    for number in dict.fromkeys(numbers):
        await check(access, found[number])
    return [n for n in dict.fromkeys(numbers) if await _link(session, found[n], task)], found
