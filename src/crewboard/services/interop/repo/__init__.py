"""A repository's .claude/ folder (agents, trackers, changelog) into a project.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.interop.repo.connect import (
        CONNECT_BACKUP,
        apply_connect,
        plan_connect,
        protocol_section,
        read_agent_files,
        undo_connect,
    )
    from crewboard.services.interop.repo.files import FileNote, read_repo, slug_for
    from crewboard.services.interop.repo.importer import InitReport, RepoImport
    from crewboard.services.interop.repo.plan import Plan, plan_import

EXPORTS = {
    "CONNECT_BACKUP": "connect",
    "apply_connect": "connect",
    "plan_connect": "connect",
    "protocol_section": "connect",
    "read_agent_files": "connect",
    "undo_connect": "connect",
    "FileNote": "files",
    "InitReport": "importer",
    "Plan": "plan",
    "RepoImport": "importer",
    "plan_import": "plan",
    "read_repo": "files",
    "slug_for": "files",
}
__all__ = [
    "CONNECT_BACKUP",
    "FileNote",
    "InitReport",
    "Plan",
    "RepoImport",
    "apply_connect",
    "plan_connect",
    "plan_import",
    "protocol_section",
    "read_agent_files",
    "read_repo",
    "slug_for",
    "undo_connect",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
