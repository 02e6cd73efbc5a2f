"""The changelog's exact entry form, and what the parser accepts and reports."""

from __future__ import annotations

from datetime import date

from crewboard.services.markdown import (
    ChangelogDoc,
    ChangelogRecord,
    parse_changelog,
    render_changelog,
)

ENTRY = ChangelogRecord(
    "Orders table",
    "backend",
    date(2025, 3, 4),
    "no place for orders",
    "added the table\n# and its migration",
    ("src/orders.py",),
    "pytest -q",
    (1, 2),
    7,
)


def test_an_entry_has_date_agent_title_tasks_and_the_four_parts() -> None:
    text = render_changelog(ChangelogDoc("shop", (ENTRY,)))
    head, body = text.split("\n", 2)[1], text.split("\n", 2)[2]
    assert head.startswith("<!-- crewboard: project=shop version=")
    assert body == (
        "\n## 2025-03-04 — Orders table\n\n- Agent: backend\n- Tasks: #1, #2\n- Entry: 7\n\n"
        "### Problem\n\nno place for orders\n\n"
        "### Fix\n\nadded the table\n\\# and its migration\n\n"
        "### Files\n\n- src/orders.py\n\n"
        "### Verification\n\npytest -q\n"
    )


HAND_WRITTEN = """\
# Changelog

All notable changes.

## [2025-01-02] - Fixed login
**Agent:** frontend
**Problem:** the login form
spun forever
**Fix:** awaited the promise
**Files:** web/login.ts, web/session.ts
**Verified:** clicked through it
Tasks: #3

## 2025-01-03: Half an entry
- Problem: something
- Mood: fine
### Notes
whatever
"""


def test_hand_written_entries_are_read_and_the_rest_reported() -> None:
    parsed = parse_changelog(HAND_WRITTEN)
    first, second = (e.record for e in parsed.entries)
    assert first == ChangelogRecord(
        "Fixed login",
        "frontend",
        date(2025, 1, 2),
        "the login form\nspun forever",
        "awaited the promise",
        ("web/login.ts", "web/session.ts"),
        "clicked through it",
        (3,),
    )
    assert (second.title, second.day, second.problem) == (
        "Half an entry",
        date(2025, 1, 3),
        "something\n- Mood: fine",
    )
    assert [(u.line, u.reason) for u in parsed.unparsed] == [
        (17, "not a part of a changelog entry"),
        (18, "not part of an entry"),
        (14, "the entry has no fix, verification"),
    ]
    assert parsed.edited
    # The text before the first entry is the file's own: kept as its style, not reported.
    assert parsed.style.preamble == (HAND_WRITTEN.split("\n")[2],)
