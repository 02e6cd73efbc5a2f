"""The markdown files of the seed protocol, rendered and parsed by pure functions.

``render_tracker`` / ``parse_tracker`` handle ``<agent>-tracker.md``, ``render_changelog`` /
``parse_changelog`` handle ``CHANGELOG.md``; the values are in ``model``. Loading what they
show from the database is ``crewboard.services.trackers``. Formats: docs/markdown.md.
"""

from __future__ import annotations

from crewboard.services.markdown.changelog_parse import parse_changelog
from crewboard.services.markdown.changelog_render import render_changelog
from crewboard.services.markdown.model import (
    ChangelogDoc,
    ChangelogRecord,
    ParsedChangelog,
    ParsedTracker,
    TrackerDoc,
    TrackerTask,
    Unparsed,
)
from crewboard.services.markdown.tracker_parse import parse_tracker
from crewboard.services.markdown.tracker_render import ordered, render_tracker

__all__ = [
    "ChangelogDoc",
    "ChangelogRecord",
    "ParsedChangelog",
    "ParsedTracker",
    "TrackerDoc",
    "TrackerTask",
    "Unparsed",
    "ordered",
    "parse_changelog",
    "parse_tracker",
    "render_changelog",
    "render_tracker",
]
