"""Tasks: how many unfinished tasks each one waits on, kept by the database

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

A claim takes the best *ready* task: pending, unowned, waiting on no unfinished task. The
last part was a correlated ``NOT EXISTS`` over the dependencies, checked for each queue entry
in turn, so every claim re-read every blocked task ahead of the first ready one. With the
head of the queue claimed and its dependants still waiting, that walk grew with every claim
(at 50k tasks, 15 µs a claim's seek at the start and 107 µs 4,000 claims later:
docs/performance.md). ``open_blocker_count`` counts a task's unfinished blockers and sits in the
queue indexes right after the status, so a claim seeks straight to ``pending, 0``.

Triggers keep the count, on both backends, whatever writes the rows (the services, the
importer, a cascade):
- an edge added (removed) while its blocker is unfinished adds (takes away) one;
- a blocker becoming completed or cancelled takes one from each task waiting on it, and one
  reopened adds it back;
- a deleted unfinished blocker no longer counts. SQLite takes it away before the delete (its
  cascade then finds no blocker and does nothing). PostgreSQL cannot: a multi-row delete
  would then update a row the same statement deletes next ("tuple … already modified"), so
  there the removed edge whose blocker is gone counts the waiting task's blockers again;
- an edge is never updated (refused), and on PostgreSQL a ``TRUNCATE`` of the edges sets
  every count to 0.

On PostgreSQL, where writers run at once: the edge triggers lock the blocker (``FOR SHARE``)
whatever its status, so an edge and a change of its blocker's status never pass each other;
a status change locks the waiting tasks in id order, so two blockers finishing at once do not
deadlock on the tasks they share; and the upgrade locks both tables while it counts.
tests/migrations/test_open_blocker_count.py races each pair.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SHARED = sa.text("tracker IS NULL")
# ('completed', 'cancelled') below are the finished statuses: services/tasks/rules.py RESOLVED
# (tests/migrations/test_open_blocker_count.py checks that they still are).

# Each queue index: its columns before ``open_blocker_count`` (then priority and id, as before).
_QUEUES = {
    "ix_tasks_queue": ["project_id", "status"],
    "ix_tasks_tracker_queue": ["project_id", "tracker", "status"],
    "ix_tasks_shared_queue": ["project_id", "status"],
    "ix_tasks_team_queue": ["project_id", "team_id", "status"],
}

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER tr_blocker_added AFTER INSERT ON task_dependencies
FOR EACH ROW WHEN EXISTS (
    SELECT 1 FROM tasks WHERE id = NEW.blocked_by_id AND status NOT IN ('completed', 'cancelled'))
BEGIN
    UPDATE tasks SET open_blocker_count = open_blocker_count + 1 WHERE id = NEW.task_id;
END""",
    """CREATE TRIGGER tr_blocker_removed AFTER DELETE ON task_dependencies
FOR EACH ROW WHEN EXISTS (
    SELECT 1 FROM tasks WHERE id = OLD.blocked_by_id AND status NOT IN ('completed', 'cancelled'))
BEGIN
    UPDATE tasks SET open_blocker_count = open_blocker_count - 1 WHERE id = OLD.task_id;
END""",
    """CREATE TRIGGER tr_blocker_resolved AFTER UPDATE OF status ON tasks
FOR EACH ROW WHEN (OLD.status IN ('completed', 'cancelled'))
    <> (NEW.status IN ('completed', 'cancelled'))
BEGIN
    UPDATE tasks
    SET open_blocker_count = open_blocker_count
        + CASE WHEN NEW.status IN ('completed', 'cancelled') THEN -1 ELSE 1 END
    WHERE id IN (SELECT task_id FROM task_dependencies WHERE blocked_by_id = NEW.id);
END""",
    """CREATE TRIGGER tr_blocker_deleted BEFORE DELETE ON tasks
FOR EACH ROW WHEN OLD.status NOT IN ('completed', 'cancelled')
BEGIN
    UPDATE tasks SET open_blocker_count = open_blocker_count - 1
    WHERE id IN (SELECT task_id FROM task_dependencies WHERE blocked_by_id = OLD.id);
END""",
    """CREATE TRIGGER tr_edges_fixed BEFORE UPDATE ON task_dependencies
BEGIN
    SELECT RAISE(ABORT, 'a task_dependencies row is never updated: delete it and insert another');
END""",
)

_PG_FUNCTIONS = (
    # The blocker is locked whatever its status: a change of that status in another
    # transaction then waits for this edge, or this edge waits for it and reads what it
    # committed. (Locking only an unfinished blocker let a reopen and an edge pass each other.)
    """CREATE FUNCTION tasks_blocker_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    blocker_status text;
BEGIN
    SELECT status INTO blocker_status FROM tasks WHERE id = NEW.blocked_by_id FOR SHARE;
    IF blocker_status NOT IN ('completed', 'cancelled') THEN
        UPDATE tasks SET open_blocker_count = open_blocker_count + 1 WHERE id = NEW.task_id;
    END IF;
    RETURN NULL;
END $$""",
    # A blocker that is gone is being deleted (the edge goes with it, by cascade): its status
    # went with it, so the waiting task's count is taken again from the edges left, once that
    # task is locked (the count then sees every change committed before it).
    """CREATE FUNCTION tasks_blocker_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    blocker_status text;
BEGIN
    SELECT status INTO blocker_status FROM tasks WHERE id = OLD.blocked_by_id FOR SHARE;
    IF NOT FOUND THEN
        PERFORM 1 FROM tasks WHERE id = OLD.task_id FOR UPDATE;
        UPDATE tasks SET open_blocker_count = (
            SELECT count(*) FROM task_dependencies d JOIN tasks b ON b.id = d.blocked_by_id
            WHERE d.task_id = OLD.task_id AND b.status NOT IN ('completed', 'cancelled'))
        WHERE id = OLD.task_id;
    ELSIF blocker_status NOT IN ('completed', 'cancelled') THEN
        UPDATE tasks SET open_blocker_count = open_blocker_count - 1 WHERE id = OLD.task_id;
    END IF;
    RETURN NULL;
END $$""",
    # The waiting tasks are locked in id order first: two blockers finishing at once, with
    # waiting tasks in common, lock them in the same order and cannot deadlock on them.
    """CREATE FUNCTION tasks_blocker_resolved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM tasks
    WHERE id IN (SELECT task_id FROM task_dependencies WHERE blocked_by_id = NEW.id)
    ORDER BY id FOR UPDATE;
    UPDATE tasks
    SET open_blocker_count = open_blocker_count
        + CASE WHEN NEW.status IN ('completed', 'cancelled') THEN -1 ELSE 1 END
    WHERE id IN (SELECT task_id FROM task_dependencies WHERE blocked_by_id = NEW.id);
    RETURN NULL;
END $$""",
    """CREATE FUNCTION tasks_edges_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a task_dependencies row is never updated: delete it and insert another';
END $$""",
    """CREATE FUNCTION tasks_edges_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tasks SET open_blocker_count = 0 WHERE open_blocker_count <> 0;
    RETURN NULL;
END $$""",
)

_PG_TRIGGERS = (
    """CREATE TRIGGER tr_blocker_added AFTER INSERT ON task_dependencies
FOR EACH ROW EXECUTE FUNCTION tasks_blocker_added()""",
    """CREATE TRIGGER tr_blocker_removed AFTER DELETE ON task_dependencies
FOR EACH ROW EXECUTE FUNCTION tasks_blocker_removed()""",
    """CREATE TRIGGER tr_blocker_resolved AFTER UPDATE OF status ON tasks
FOR EACH ROW WHEN ((OLD.status IN ('completed', 'cancelled'))
    IS DISTINCT FROM (NEW.status IN ('completed', 'cancelled')))
EXECUTE FUNCTION tasks_blocker_resolved()""",
    """CREATE TRIGGER tr_edges_fixed BEFORE UPDATE ON task_dependencies
FOR EACH ROW EXECUTE FUNCTION tasks_edges_fixed()""",
    """CREATE TRIGGER tr_edges_truncated AFTER TRUNCATE ON task_dependencies
FOR EACH STATEMENT EXECUTE FUNCTION tasks_edges_truncated()""",
)

_SQLITE_DROPS = (
    "DROP TRIGGER tr_blocker_added",
    "DROP TRIGGER tr_blocker_removed",
    "DROP TRIGGER tr_blocker_resolved",
    "DROP TRIGGER tr_blocker_deleted",
    "DROP TRIGGER tr_edges_fixed",
)
_PG_DROPS = (
    "DROP TRIGGER tr_blocker_added ON task_dependencies",
    "DROP TRIGGER tr_blocker_removed ON task_dependencies",
    "DROP TRIGGER tr_blocker_resolved ON tasks",
    "DROP TRIGGER tr_edges_fixed ON task_dependencies",
    "DROP TRIGGER tr_edges_truncated ON task_dependencies",
    "DROP FUNCTION tasks_blocker_added()",
    "DROP FUNCTION tasks_blocker_removed()",
    "DROP FUNCTION tasks_blocker_resolved()",
    "DROP FUNCTION tasks_edges_fixed()",
    "DROP FUNCTION tasks_edges_truncated()",
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _queue_index(name: str, columns: list[str]) -> None:
    where = _SHARED if name == "ix_tasks_shared_queue" else None
    op.create_index(name, "tasks", columns, sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    if not _sqlite():
        # No edge may change between the count below and its triggers (a server of the
        # previous version may still be writing); SQLite's migration holds the write lock.
        op.execute("LOCK TABLE tasks, task_dependencies IN SHARE ROW EXCLUSIVE MODE")
    op.add_column(
        "tasks",
        sa.Column("open_blocker_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.execute(
        """UPDATE tasks SET open_blocker_count = (
    SELECT count(*) FROM task_dependencies d JOIN tasks b ON b.id = d.blocked_by_id
    WHERE d.task_id = tasks.id AND b.status NOT IN ('completed', 'cancelled'))
WHERE id IN (SELECT task_id FROM task_dependencies)"""
    )
    for name, head in _QUEUES.items():
        op.drop_index(name, table_name="tasks")
        _queue_index(name, [*head, "open_blocker_count", "priority", "id"])
    for statement in _SQLITE_TRIGGERS if _sqlite() else (*_PG_FUNCTIONS, *_PG_TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    for statement in _SQLITE_DROPS if _sqlite() else _PG_DROPS:
        op.execute(statement)
    for name, head in _QUEUES.items():
        op.drop_index(name, table_name="tasks")
        _queue_index(name, [*head, "priority", "id"])
    if _sqlite():
        op.execute("ALTER TABLE tasks DROP COLUMN open_blocker_count")
    else:
        op.drop_column("tasks", "open_blocker_count")
