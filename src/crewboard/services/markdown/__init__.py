"""The seed protocol's markdown files (trackers, changelog), rendered and parsed by pure functions.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.markdown.changelog_parse import parse_changelog
    from crewboard.services.markdown.changelog_render import render_changelog
    from crewboard.services.markdown.changelog_style import ChangelogStyle
    from crewboard.services.markdown.header import (
        HEADING,
        ITEM,
        REFUSED_END,
        REFUSED_START,
        lines_of,
    )
    from crewboard.services.markdown.model import (
        BLOCKED,
        COMPLETED,
        IN_PROGRESS,
        PENDING,
        SOURCE_TEXT,
        STATUSES,
        ChangelogDoc,
        ChangelogRecord,
        ParsedChangelog,
        ParsedTracker,
        TrackerDoc,
        TrackerTask,
        Unparsed,
    )
    from crewboard.services.markdown.tracker_parse import parse_tracker
    from crewboard.services.markdown.tracker_render import DEFAULT_PRIORITY, ordered, render_tracker
    from crewboard.services.markdown.tracker_style import TrackerStyle

EXPORTS = {
    "BLOCKED": "model",
    "COMPLETED": "model",
    "DEFAULT_PRIORITY": "tracker_render",
    "ChangelogDoc": "model",
    "ChangelogRecord": "model",
    "ChangelogStyle": "changelog_style",
    "HEADING": "header",
    "IN_PROGRESS": "model",
    "ITEM": "header",
    "PENDING": "model",
    "REFUSED_END": "header",
    "REFUSED_START": "header",
    "ParsedChangelog": "model",
    "ParsedTracker": "model",
    "SOURCE_TEXT": "model",
    "STATUSES": "model",
    "TrackerDoc": "model",
    "TrackerStyle": "tracker_style",
    "TrackerTask": "model",
    "Unparsed": "model",
    "lines_of": "header",
    "ordered": "tracker_render",
    "parse_changelog": "changelog_parse",
    "parse_tracker": "tracker_parse",
    "render_changelog": "changelog_render",
    "render_tracker": "tracker_render",
}
__all__ = [
    "BLOCKED",
    "COMPLETED",
    "DEFAULT_PRIORITY",
    "HEADING",
    "IN_PROGRESS",
    "ITEM",
    "PENDING",
    "REFUSED_END",
    "REFUSED_START",
    "SOURCE_TEXT",
    "STATUSES",
    "ChangelogDoc",
    "ChangelogRecord",
    "ChangelogStyle",
    "ParsedChangelog",
    "ParsedTracker",
    "TrackerDoc",
    "TrackerStyle",
    "TrackerTask",
    "Unparsed",
    "lines_of",
    "ordered",
    "parse_changelog",
    "parse_tracker",
    "render_changelog",
    "render_tracker",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
