"""Property tests: render → parse → render is identical, and parsing gives the values back."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from crewboard.services.markdown import (
    ChangelogDoc,
    ChangelogRecord,
    TrackerDoc,
    ordered,
    parse_changelog,
    parse_tracker,
    render_changelog,
    render_tracker,
)
from tests.services.markdown.strategies import CHANGELOG, FILE, tracker_doc

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive
MANY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@MANY
@given(tracker_doc())
def test_a_rendered_tracker_parses_back_to_its_tasks(doc: TrackerDoc) -> None:
    text = render_tracker(doc)
    parsed = parse_tracker(text)
    assert parsed.unparsed == ()
    assert not parsed.edited
    assert parsed.doc() == TrackerDoc(doc.project, doc.agent, tuple(ordered(doc.tasks)), doc.hidden)
    assert render_tracker(parsed.doc()) == text


@MANY
@given(CHANGELOG)
def test_a_rendered_changelog_parses_back_to_its_entries(doc: ChangelogDoc) -> None:
    text = render_changelog(doc)
    parsed = parse_changelog(text)
    assert parsed.unparsed == ()
    assert not parsed.edited
    assert parsed.doc() == doc
    assert render_changelog(parsed.doc()) == text


@MANY
@given(tracker_doc())
def test_every_rendered_line_is_one_line(doc: TrackerDoc) -> None:
    text = render_tracker(doc)
    assert text.splitlines() == text.split("\n")[:-1]


@MANY
@given(FILE)
def test_whatever_was_read_renders_to_a_fixed_point(text: str) -> None:
    """Sync renders what it parsed from a hand-edited file; doing it again changes nothing."""
    tracker = render_tracker(parse_tracker(text).doc("shop", "backend"))
    assert render_tracker(parse_tracker(tracker).doc()) == tracker
    changelog = render_changelog(parse_changelog(text).doc("shop"))
    assert render_changelog(parse_changelog(changelog).doc()) == changelog


@pytest.mark.parametrize("fix", ["```", "```py\nx = 1", "a\n  ```\nb\n```\n```", "```\n```"])
def test_a_code_fence_left_open_does_not_swallow_the_next_parts(fix: str) -> None:
    """Found by the property test above: a Fix of one unpaired fence kept the reader inside
    a code block, and the entry's own Verification and the next entry were taken for code."""
    record = ChangelogRecord(
        title="t",
        agent=None,
        day=None,
        problem="",
        fix=fix,
        files=(),
        verification="v",
        tasks=(),
        entry_id=None,
        source=None,
    )
    doc = ChangelogDoc(project="p", entries=(record, record))
    parsed = parse_changelog(render_changelog(doc))
    assert parsed.unparsed == ()
    assert parsed.doc() == doc
