"""Hypothesis strategies for trackers and changelogs as the services load them."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from crewboard.services.markdown import (
    STATUSES,
    ChangelogDoc,
    ChangelogRecord,
    TrackerDoc,
    TrackerTask,
)
from crewboard.services.markdown.changelog_render import normalise_body

# Any text at all, and one biased towards the characters the grammar gives meaning to.
MARKUP = st.sampled_from(
    [
        *"\\—-#*[]()_,.:  \n\r\t`<>!|x",
        ". Files: ",
        ". Verified: ",
        " (needs: ",
        "(needs: x)",
        "none",
        "not recorded",
        " — ",
        "\\u{41}",
        "**2024-01-01**: ",
        "#3 ",
        "[P1] ",
        "[ ] ",
        "## ",
        "- ",
        " -- ",
        "Files: ",
        "Verified: ",
        "Needs: ",
        "needs:",
        "**P1**: ",
        "<!-- #3 -->",
        "_None_",
        "> ",
        "  ",
    ]
)
TEXT = st.one_of(st.text(), st.lists(MARKUP, max_size=8).map("".join))
WORDS = TEXT.filter(bool)
NUMBERS = st.integers(min_value=1, max_value=10**6)
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))
SLUG = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)


@st.composite
def tracker_task(draw: st.DrawFn, status: str, number: int) -> TrackerTask:
    """A task showing exactly the fields its section shows."""
    title = draw(TEXT)
    if status == "completed":
        return TrackerTask(
            status,
            title,
            number,
            completed_on=draw(DAYS),
            outcome=draw(st.none() | TEXT),
            files=tuple(draw(st.lists(WORDS, max_size=4, unique=True))),
            verified=draw(st.none() | TEXT),
        )
    blocked = status == "blocked"
    return TrackerTask(
        status,
        title,
        number,
        priority=draw(st.integers(0, 3)),
        owner=draw(st.none() | WORDS),
        waits_on=tuple(draw(st.lists(NUMBERS, max_size=3))),
        follow_up_of=draw(st.none() | NUMBERS),
        blocked_reason=draw(WORDS.map(str.strip).filter(bool)) if blocked else None,
        needs_agent=draw(st.none() | WORDS) if blocked else None,
    )


@st.composite
def tracker_doc(draw: st.DrawFn) -> TrackerDoc:
    """A tracker of up to a dozen tasks with distinct numbers."""
    numbers = draw(st.lists(NUMBERS, max_size=12, unique=True))
    tasks = tuple(draw(tracker_task(draw(st.sampled_from(STATUSES)), n)) for n in numbers)
    hidden = draw(st.dictionaries(st.sampled_from(STATUSES), st.integers(1, 10**6), max_size=4))
    return TrackerDoc(draw(SLUG), draw(SLUG), tasks, hidden)


BODY = TEXT.map(normalise_body)
RECORD = st.builds(
    ChangelogRecord,
    title=WORDS,
    agent=st.none() | TEXT,
    day=st.none() | DAYS,
    problem=BODY,
    fix=BODY,
    files=st.lists(WORDS, max_size=4).map(tuple),
    verification=BODY,
    tasks=st.lists(NUMBERS, max_size=4).map(tuple),
    entry_id=st.none() | NUMBERS,
)
CHANGELOG = st.builds(ChangelogDoc, project=SLUG, entries=st.lists(RECORD, max_size=6).map(tuple))

# Hand-written-looking files: headings, items, markers and arbitrary text, line by line.
LINE = st.one_of(
    st.sampled_from(
        [
            "## Pending",
            "## Done",
            "## Blocked",
            "### In Progress",
            "## Ideas",
            "- ",
            "* [x] ",
            "1. ",
            "",
            "_none_",
            "## 2024-01-01 — t",
            "### Problem",
            "### Files",
            "- Agent: a",
            "**Fix:** y",
        ]
    ),
    st.lists(MARKUP, max_size=6).map("".join),
    st.text(),
)
FILE = st.lists(LINE, max_size=20).map("\n".join)
