"""A repository's .claude/ folder (agents, trackers, changelog) into a project.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.interop.repo.files import FileNote, read_repo, slug_for
    from crewboard.services.interop.repo.importer import InitReport, RepoImport
    from crewboard.services.interop.repo.plan import Plan, plan_import

EXPORTS = {
    "FileNote": "files",
    "InitReport": "importer",
    "Plan": "plan",
    "RepoImport": "importer",
    "plan_import": "plan",
    "read_repo": "files",
    "slug_for": "files",
}
__all__ = [
    "FileNote",
    "InitReport",
    "Plan",
    "RepoImport",
    "plan_import",
    "read_repo",
    "slug_for",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
