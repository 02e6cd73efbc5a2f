"""The template's own trackers: read without a report, written back in their own dialect."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crewboard.services.markdown import TrackerDoc, TrackerStyle, parse_tracker, render_tracker
from crewboard.services.markdown.tracker_render import ordered
from tests.fuzz import fuzz_settings
from tests.services.markdown.strategies import tracker_doc

TEMPLATE = Path(__file__).parents[2] / "support" / "template"
PRISTINE = sorted((TEMPLATE / "pristine/.claude/trackers").glob("*-tracker.md"))
FILLED = TEMPLATE / "filled/.claude/trackers/backend-tracker.md"


def _numbered(text: str) -> TrackerDoc:
    parsed = parse_tracker(text)
    tasks = tuple(replace(item.task, number=n) for n, item in enumerate(parsed.items, 1))
    return TrackerDoc("shop", "backend", tasks)


@pytest.mark.parametrize("path", PRISTINE, ids=lambda p: p.name)
def test_a_pristine_tracker_reads_clean_and_renders_back_byte_for_byte(path: Path) -> None:
    text = path.read_text()
    parsed = parse_tracker(text)
    assert (parsed.items, parsed.unparsed) == ((), ())
    assert parsed.style.separator == " -- "
    assert parsed.style.ids == "comment"
    assert not parsed.style.header
    assert render_tracker(parsed.doc("shop", "backend"), parsed.style) == text


def test_the_filled_template_reads_every_form_people_write() -> None:
    parsed = parse_tracker(FILLED.read_text())
    assert parsed.unparsed == ()
    got = {i.task.title: i.task for i in parsed.items}
    assert got["Add index on users.name for search performance"].priority == 1
    blocked = got["Search filters by team"]
    assert (blocked.blocked_reason, blocked.needs_agent) == (
        "waiting for the team schema",
        "architect",
    )
    rate = got["Rate limiting on search"]
    assert (rate.status, rate.blocked_reason, rate.needs_agent) == (
        "blocked",
        None,
        "domain-expert",
    )
    wrapped = got[
        "Implemented /api/users/search with full-text search, pagination, and input validation"
    ]
    assert wrapped.completed_on == date(2026, 1, 13)
    assert wrapped.files == ("user_routes.py", "user_service.py", "user_repository.py")
    assert wrapped.verified == "curl tests PASS"
    no_files = got["Removed the unused session cache"]
    assert (no_files.files, no_files.verified, no_files.outcome) == ((), "pytest -q", None)


def test_the_filled_template_renders_back_with_only_the_ids_added() -> None:
    text = FILLED.read_text()
    parsed = parse_tracker(text)
    rendered = render_tracker(_numbered(text), parsed.style)
    expected = text.split("\n")
    for number, item in enumerate(parsed.items, 1):
        last = item.line - 1 + (item.task.source or "").count("\n")
        expected[last] += f" <!-- #{number} -->"
    assert rendered == "\n".join(expected)
    again = parse_tracker(rendered)
    assert again.doc("shop", "backend") == _numbered(text)
    assert again.style == parsed.style


def test_a_changed_task_gets_a_generated_line_in_the_files_dialect() -> None:
    text = FILLED.read_text()
    doc = _numbered(text)
    moved = [
        replace(t, status="blocked", blocked_reason="no schema", needs_agent="architect")
        if t.number == 4
        else t
        for t in doc.tasks
    ]
    rendered = render_tracker(replace(doc, tasks=tuple(moved)), parse_tracker(text).style)
    assert (
        "- Paginate the admin user list -- blocked: no schema (needs: architect) <!-- #4 -->"
        in rendered.split("\n")
    )


@fuzz_settings(scale=10)
@given(
    tracker_doc(),
    st.sampled_from([*PRISTINE, FILLED]),
    st.booleans(),
    st.booleans(),
)
def test_any_tracker_in_a_template_style_parses_back_to_itself(
    doc: TrackerDoc, path: Path, bold: bool, boxes: bool
) -> None:
    learned = parse_tracker(path.read_text()).style
    style = replace(learned, priority="bold" if bold else "bracket", boxes=boxes)
    text = render_tracker(doc, style)
    parsed = parse_tracker(text)
    assert parsed.unparsed == ()
    assert parsed.doc(doc.project, doc.agent) == TrackerDoc(
        doc.project, doc.agent, tuple(ordered(doc.tasks)), doc.hidden
    )
    assert render_tracker(parsed.doc(doc.project, doc.agent), parsed.style) == text


def test_a_style_round_trips_through_json_and_refuses_what_it_cannot_be() -> None:
    style = parse_tracker(FILLED.read_text()).style
    assert TrackerStyle.from_json(style.to_json()) == style
    assert TrackerStyle.from_json(TrackerStyle().to_json()) == TrackerStyle()
    bad: object
    for bad in (
        [],
        {"ids": "visible"},
        {"title": "a\nb"},
        {"headings": [["pending", "Pending"]]},
        {"sections": {"done": {}}},
        {"preamble": ["x"] * 500},
        {"boxes": "yes"},
        {"colour": "red"},
    ):
        with pytest.raises(ValueError, match=r"\w"):
            TrackerStyle.from_json(bad)
