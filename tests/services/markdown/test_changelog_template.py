"""The template's changelog: read without a report, written back in its own form."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given

from crewboard.services.markdown import (
    ChangelogDoc,
    ChangelogRecord,
    ChangelogStyle,
    parse_changelog,
    render_changelog,
)
from tests.fuzz import fuzz_settings
from tests.services.markdown.strategies import CHANGELOG

_AGENT = re.compile(r"[a-z][a-z0-9-]{0,30}")
TEMPLATE = Path(__file__).parents[2] / "support" / "template"
PRISTINE = TEMPLATE / "pristine/.claude/CHANGELOG.md"
FILLED = TEMPLATE / "filled/.claude/CHANGELOG.md"


def _numbered(text: str) -> ChangelogDoc:
    parsed = parse_changelog(text)
    records = (replace(e.record, entry_id=n) for n, e in enumerate(parsed.entries, 1))
    return ChangelogDoc("shop", tuple(records))


def test_the_pristine_changelog_has_no_entry_and_renders_back_byte_for_byte() -> None:
    text = PRISTINE.read_text()
    parsed = parse_changelog(text)
    assert (parsed.entries, parsed.unparsed) == ((), ())
    assert parsed.style.form == "template"
    assert render_changelog(parsed.doc("shop"), parsed.style) == text


def test_the_examples_changelog_reads_all_five_entries() -> None:
    parsed = parse_changelog(FILLED.read_text())
    assert parsed.unparsed == ()
    records = [e.record for e in parsed.entries]
    assert [(r.agent, r.title) for r in records] == [
        ("architect", "Search API schema design"),
        ("backend", "Search endpoint implementation"),
        ("frontend", "Search UI components"),
        ("qa", "Search feature E2E tests"),
        ("reviewer", "Search feature code review"),
    ]
    backend = records[1]
    assert backend.day == date(2026, 1, 15)
    assert backend.fix == (
        "Implemented /api/users/search with full-text search, pagination, and input validation"
    )
    assert backend.files == ("user_routes.py", "user_service.py", "user_repository.py")
    assert backend.verification == "curl tests PASS"
    assert records[0].files == ("(advisory, no code changes)",)


def test_the_examples_changelog_renders_back_with_only_the_ids_added() -> None:
    text = FILLED.read_text()
    parsed = parse_changelog(text)
    rendered = render_changelog(_numbered(text), parsed.style)
    expected = text.split("\n")
    for number, entry in enumerate(parsed.entries, 1):
        expected[entry.line - 1] += f" <!-- entry {number} -->"
    assert rendered == "\n".join(expected)
    assert parse_changelog(rendered).doc("shop") == _numbered(text)


def test_a_new_entry_is_written_in_the_template_form_under_its_date() -> None:
    style = parse_changelog(PRISTINE.read_text()).style
    record = ChangelogRecord(
        title="Orders API",
        agent="domain-expert",
        day=date(2026, 2, 1),
        problem="no way to list orders",
        fix="added GET /orders",
        files=("api/orders.py",),
        verification="pytest -q",
        tasks=(4, 5),
        entry_id=9,
    )
    text = render_changelog(ChangelogDoc("shop", (record,)), style)
    assert text.endswith(
        "---\n\n## 2026-02-01\n\n"
        "### Domain-expert -- Orders API (domain-expert agent) <!-- entry 9; tasks #4, #5 -->\n"
        "- **2026-02-01**: Problem: no way to list orders. Fix: added GET /orders. "
        "Files: api/orders.py. Verified: pytest -q.\n"
    )
    assert "_No entries yet" not in text
    assert parse_changelog(text).doc("shop").entries == (record,)


@fuzz_settings(scale=10)
@given(CHANGELOG)
def test_any_changelog_in_the_template_form_reads_back_to_a_fixed_point(doc: ChangelogDoc) -> None:
    style = parse_changelog(PRISTINE.read_text()).style
    # The server's entries always name an agent of the roster (a valid name), and a day.
    numbered = replace(
        doc,
        entries=tuple(
            replace(
                r,
                entry_id=n,
                agent=r.agent if r.agent and _AGENT.fullmatch(r.agent) else "qa",
                day=r.day or date(2026, 1, 1),
            )
            for n, r in enumerate(doc.entries, 1)
        ),
    )
    text = render_changelog(numbered, style)
    parsed = parse_changelog(text)
    assert parsed.unparsed == ()
    assert [e.record.entry_id for e in parsed.entries] == [r.entry_id for r in numbered.entries]
    assert render_changelog(parsed.doc(doc.project), parsed.style) == text


def test_a_style_round_trips_through_json_and_refuses_what_it_cannot_be() -> None:
    style = parse_changelog(FILLED.read_text()).style
    assert ChangelogStyle.from_json(style.to_json()) == style
    bad: object
    for bad in ([], {"form": "yaml"}, {"title": "a\nb"}, {"preamble": "x"}, {"header": 1}):
        with pytest.raises(ValueError, match=r"\w"):
            ChangelogStyle.from_json(bad)
