"""A tracker's four sections: the statuses they hold, in file order, with their headings."""

from __future__ import annotations

PENDING, IN_PROGRESS, BLOCKED, COMPLETED = "pending", "in_progress", "blocked", "completed"
SECTIONS: tuple[tuple[str, str], ...] = (
    (IN_PROGRESS, "In Progress"),
    (PENDING, "Pending"),
    (BLOCKED, "Blocked"),
    (COMPLETED, "Completed"),
)
STATUSES = tuple(status for status, _ in SECTIONS)
