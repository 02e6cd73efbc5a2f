"""The tracker's exact line forms, and what the parser accepts and reports."""

from __future__ import annotations

from datetime import date

from crewboard.services.markdown import TrackerDoc, TrackerTask, parse_tracker, render_tracker
from crewboard.services.markdown.tracker_render import completed_line, task_line

DONE = TrackerTask(
    "completed",
    "Orders table",
    1,
    completed_on=date(2025, 3, 4),
    outcome="orders table and migration",
    files=("src/orders.py", "migrations/0007.py"),
    verified="pytest -q",
)


def test_the_completed_line_has_the_template_form() -> None:
    assert completed_line(DONE) == (
        "- **2025-03-04**: #1 Orders table — orders table and migration. "
        "Files: src/orders.py, migrations/0007.py. Verified: pytest -q."
    )
    bare = TrackerTask("completed", "Tidy", 2, completed_on=date(2025, 3, 5))
    assert completed_line(bare) == "- **2025-03-05**: #2 Tidy. Files: none. Verified: not recorded."


def test_unfinished_lines_carry_number_priority_owner_and_block() -> None:
    blocked = TrackerTask(
        "blocked",
        "Styles",
        5,
        priority=2,
        owner="frontend",
        waits_on=(3, 4),
        follow_up_of=1,
        blocked_reason="needs the brand colours",
        needs_agent="domain-expert",
    )
    assert task_line(blocked) == (
        "- #5 [P2] Styles — owner: frontend — waits on: #3, #4 — follow-up of: #1"
        " — blocked: needs the brand colours (needs: domain-expert)"
    )
    odd = TrackerTask("pending", "#1 **bold** — [x]\nnext", 7, priority=0)
    assert task_line(odd) == "- #7 [P0] \\#1 **bold** \\— [x]\\u{a}next"


def test_sections_come_in_protocol_order_with_the_header() -> None:
    text = render_tracker(TrackerDoc("shop", "backend", (DONE,)))
    lines = text.splitlines()
    assert lines[0] == "# backend tracker"
    assert lines[1].startswith("<!-- crewboard: project=shop agent=backend version=")
    assert [line for line in lines if line.startswith("## ")] == [
        "## In Progress",
        "## Pending",
        "## Blocked",
        "## Completed",
    ]
    assert not parse_tracker(text).edited
    assert parse_tracker(text.replace("Orders table", "Orders")).edited


HAND_WRITTEN = """\
# Backend tracker
Some preamble the agent wrote.

## In-Progress
- [ ] #4 Build the API
## To Do (2)
* [ ] Write the docs
+ [P1] Fix the cache
1. #9 [p3] Later\t \t
   an indented note
## Blocked
- #6 Styles — blocked: no colours (needs: domain-expert) — mood: grumpy
## Ideas
- dream big
### ✅ Done
- [x] **2025-01-02**: Fixed login. Files: a.py, b.py. Verified: pytest.
- [x] Shipped it
- #4 Build the API
"""


def test_hand_written_trackers_are_read_and_the_rest_reported() -> None:
    parsed = parse_tracker(HAND_WRITTEN)
    got = [
        (i.line, i.task.status, i.task.number, i.task.priority, i.task.title, i.checked)
        for i in parsed.items
    ]
    assert got == [
        (5, "in_progress", 4, None, "Build the API", False),
        (7, "pending", None, None, "Write the docs", False),
        (8, "pending", None, 1, "Fix the cache", None),
        (9, "pending", 9, 3, "Later an indented note", None),  # wrapped over two lines
        (12, "blocked", 6, None, "Styles", None),
        (16, "completed", None, None, "Fixed login", True),
        (17, "completed", None, None, "Shipped it", True),
    ]
    styles = parsed.items[4].task
    assert (styles.blocked_reason, styles.needs_agent) == ("no colours", "domain-expert")
    login = parsed.items[5].task
    assert (login.completed_on, login.files, login.verified) == (
        date(2025, 1, 2),
        ("a.py", "b.py"),
        "pytest",
    )
    assert [(u.line, u.reason) for u in parsed.unparsed] == [
        (12, "an unknown part of a task line, ignored"),
        (13, "not a tracker section"),
        (14, "in a section that is not a tracker section"),
        (18, "task #4 is listed twice"),
    ]
    assert parsed.header is None
    assert parsed.edited
    # The text before the first section is the file's own, kept (not reported).
    assert parsed.style.preamble == ("Some preamble the agent wrote.",)
