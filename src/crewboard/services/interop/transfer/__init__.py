"""Whole projects as JSON lines (export, import) and SQLite backups.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.interop.transfer.backups import (
        Copy,
        backup_database,
        check_file,
        restore_database,
        sqlite_file,
    )
    from crewboard.services.interop.transfer.export import ProjectExport
    from crewboard.services.interop.transfer.importer import ImportReport, ProjectImport
    from crewboard.services.interop.transfer.plan import plan_import
    from crewboard.services.interop.transfer.records import parse_lines

EXPORTS = {
    "Copy": "backups",
    "backup_database": "backups",
    "check_file": "backups",
    "restore_database": "backups",
    "sqlite_file": "backups",
    "ImportReport": "importer",
    "ProjectExport": "export",
    "ProjectImport": "importer",
    "parse_lines": "records",
    "plan_import": "plan",
}
__all__ = [
    "Copy",
    "ImportReport",
    "ProjectExport",
    "ProjectImport",
    "backup_database",
    "check_file",
    "parse_lines",
    "plan_import",
    "restore_database",
    "sqlite_file",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
