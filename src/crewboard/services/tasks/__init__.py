"""Tasks: the store, claims, the status flow, links, leases, trackers and the changelog.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.tasks.changelog import ChangelogDraft, ChangelogService, EntryView
    from crewboard.services.tasks.claims import ClaimScope
    from crewboard.services.tasks.facade import Completion, Tasks
    from crewboard.services.tasks.flow import ChangeResult, TaskChange, TaskFlow
    from crewboard.services.tasks.graph import add_dependencies
    from crewboard.services.tasks.leases import ExpiredLease, expire_leases
    from crewboard.services.tasks.rules import (
        ACTIVE_FORM_MAX,
        BODY_MAX,
        CHANGELOG_TITLE_MAX,
        DESCRIPTION_MAX,
        FILE_MAX,
        FILES_MAX,
        MAX_LINKS_PER_CALL,
        MAX_TASK_LINKS,
        OUTCOME_MAX,
        REASON_MAX,
        TITLE_MAX,
        VERIFIED_MAX,
        Status,
        check_files,
        check_one_line,
        check_title,
        parse_status,
    )
    from crewboard.services.tasks.service import TaskFilter, TaskLinks, TaskService
    from crewboard.services.tasks.trackers import TrackerService

EXPORTS = {
    "ACTIVE_FORM_MAX": "rules",
    "BODY_MAX": "rules",
    "CHANGELOG_TITLE_MAX": "rules",
    "ChangeResult": "flow",
    "ChangelogDraft": "changelog",
    "ChangelogService": "changelog",
    "ClaimScope": "claims",
    "Completion": "facade",
    "DESCRIPTION_MAX": "rules",
    "EntryView": "changelog",
    "ExpiredLease": "leases",
    "FILES_MAX": "rules",
    "FILE_MAX": "rules",
    "MAX_LINKS_PER_CALL": "rules",
    "MAX_TASK_LINKS": "rules",
    "OUTCOME_MAX": "rules",
    "REASON_MAX": "rules",
    "Status": "rules",
    "TITLE_MAX": "rules",
    "TaskChange": "flow",
    "TaskFilter": "service",
    "TaskFlow": "flow",
    "TaskLinks": "service",
    "TaskService": "service",
    "Tasks": "facade",
    "TrackerService": "trackers",
    "VERIFIED_MAX": "rules",
    "add_dependencies": "graph",
    "check_files": "rules",
    "check_one_line": "rules",
    "check_title": "rules",
    "expire_leases": "leases",
    "parse_status": "rules",
}
__all__ = [
    "ACTIVE_FORM_MAX",
    "BODY_MAX",
    "CHANGELOG_TITLE_MAX",
    "DESCRIPTION_MAX",
    "FILES_MAX",
    "FILE_MAX",
    "MAX_LINKS_PER_CALL",
    "MAX_TASK_LINKS",
    "OUTCOME_MAX",
    "REASON_MAX",
    "TITLE_MAX",
    "VERIFIED_MAX",
    "ChangeResult",
    "ChangelogDraft",
    "ChangelogService",
    "ClaimScope",
    "Completion",
    "EntryView",
    "ExpiredLease",
    "Status",
    "TaskChange",
    "TaskFilter",
    "TaskFlow",
    "TaskLinks",
    "TaskService",
    "Tasks",
    "TrackerService",
    "add_dependencies",
    "check_files",
    "check_one_line",
    "check_title",
    "expire_leases",
    "parse_status",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
