"""Tasks: the store, claims, the status flow, links, leases, trackers and the changelog.

``Tasks`` is the facade the faces call; it answers ``TaskView``s.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.tasks.catalog import TaskCatalog, TaskFilter
    from crewboard.services.tasks.changelog import ChangelogDraft, ChangelogService, EntryView
    from crewboard.services.tasks.claims import ClaimScope, TaskClaims, check_claimable
    from crewboard.services.tasks.edges import Edges
    from crewboard.services.tasks.facade import Completion, Tasks
    from crewboard.services.tasks.flow import Applied, ChangeResult, TaskChange, TaskFlow
    from crewboard.services.tasks.leases import ExpiredLease, expire_leases
    from crewboard.services.tasks.links import TaskLinking
    from crewboard.services.tasks.protocol import Completed, TaskProtocol
    from crewboard.services.tasks.rules import (
        ACTIVE_FORM_MAX,
        BODY_MAX,
        CHANGELOG_TITLE_MAX,
        CLAUDE_STATUS_NAMES,
        DESCRIPTION_MAX,
        FILE_MAX,
        FILES_MAX,
        MAX_LINKS_PER_CALL,
        MAX_TASK_LINKS,
        OUTCOME_MAX,
        REASON_MAX,
        RESOLVED,
        STATUS_NAMES,
        TITLE_MAX,
        VERIFIED_MAX,
        Status,
        check_files,
        check_one_line,
        check_title,
        parse_status,
    )
    from crewboard.services.tasks.store import TaskStore, TaskView
    from crewboard.services.tasks.trackers import TrackerService

EXPORTS = {
    "ACTIVE_FORM_MAX": "rules",
    "Applied": "flow",
    "BODY_MAX": "rules",
    "CHANGELOG_TITLE_MAX": "rules",
    "CLAUDE_STATUS_NAMES": "rules",
    "ChangeResult": "flow",
    "ChangelogDraft": "changelog",
    "ChangelogService": "changelog",
    "ClaimScope": "claims",
    "Completed": "protocol",
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
    "RESOLVED": "rules",
    "STATUS_NAMES": "rules",
    "Status": "rules",
    "TITLE_MAX": "rules",
    "TaskCatalog": "catalog",
    "TaskChange": "flow",
    "TaskClaims": "claims",
    "TaskFilter": "catalog",
    "TaskFlow": "flow",
    "TaskLinking": "links",
    "TaskProtocol": "protocol",
    "TaskStore": "store",
    "TaskView": "store",
    "Tasks": "facade",
    "TrackerService": "trackers",
    "VERIFIED_MAX": "rules",
    "Edges": "edges",
    "check_claimable": "claims",
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
    "CLAUDE_STATUS_NAMES",
    "DESCRIPTION_MAX",
    "FILES_MAX",
    "FILE_MAX",
    "MAX_LINKS_PER_CALL",
    "MAX_TASK_LINKS",
    "OUTCOME_MAX",
    "REASON_MAX",
    "RESOLVED",
    "STATUS_NAMES",
    "TITLE_MAX",
    "VERIFIED_MAX",
    "Applied",
    "ChangeResult",
    "ChangelogDraft",
    "ChangelogService",
    "ClaimScope",
    "Completed",
    "Completion",
    "Edges",
    "EntryView",
    "ExpiredLease",
    "Status",
    "TaskCatalog",
    "TaskChange",
    "TaskClaims",
    "TaskFilter",
    "TaskFlow",
    "TaskLinking",
    "TaskProtocol",
    "TaskStore",
    "TaskView",
    "Tasks",
    "TrackerService",
    "check_claimable",
    "check_files",
    "check_one_line",
    "check_title",
    "expire_leases",
    "parse_status",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
