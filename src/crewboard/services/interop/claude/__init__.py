"""Claude Code's team files (~/.claude/teams, ~/.claude/tasks): import and export.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.interop.claude.export import ClaudeTeamExport, TeamExport
    from crewboard.services.interop.claude.files import default_claude_dir, read_team, write_files
    from crewboard.services.interop.claude.importer import (
        ClaudeTeamImport,
        ImportReport,
        find_cycle,
    )

EXPORTS = {
    "ClaudeTeamExport": "export",
    "ClaudeTeamImport": "importer",
    "ImportReport": "importer",
    "TeamExport": "export",
    "default_claude_dir": "files",
    "find_cycle": "importer",
    "read_team": "files",
    "write_files": "files",
}
__all__ = [
    "ClaudeTeamExport",
    "ClaudeTeamImport",
    "ImportReport",
    "TeamExport",
    "default_claude_dir",
    "find_cycle",
    "read_team",
    "write_files",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
