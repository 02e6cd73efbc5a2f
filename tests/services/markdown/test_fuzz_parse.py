"""Fuzzing the tolerant parsers: arbitrary text never raises, and no line is lost silently.
Every non-blank line is imported (a task, or a part of a changelog entry whose text the
entry keeps), recognised as structure (header, heading, an empty-section marker), or reported
as ``Unparsed`` with its line number."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crewboard.services.markdown import ChangelogStyle, TrackerStyle
from crewboard.services.markdown.changelog_parse import _KEY, KEYS, parse_changelog
from crewboard.services.markdown.header import HEADING, ITEM, lines_of, read_header, trimmed
from crewboard.services.markdown.model import ChangelogRecord, ParsedChangelog, ParsedTracker
from crewboard.services.markdown.tracker_parse import _HIDDEN, parse_tracker
from crewboard.services.markdown.tracker_render import EMPTY
from tests.fuzz import fuzz_settings

pytestmark = pytest.mark.fuzz

HEADER = "<!-- crewboard: project=shop agent=backend version=0123456789abcdef -->"
TRACKER_LINES = [
    "# Backend tracker",
    "## In Progress",
    "## Pending",
    "### Done",
    "## Blocked",
    "# Notes",
    "- [ ] #3 [P1] Build it — owner: backend — waits on: #1, #2",
    "- #4 Fix — blocked: x",
    "* [x] **2024-01-02**: #5 Ship — done. Files: a.py, b.py. Verified: tests.",
    "1. plain",
    "- **2024-13-45** bad date",
    "-",
    "- [ ]",
    "  - nested",
    "_… and 3 more not shown_",
    EMPTY,
    "- #3 again",
    "- — owner:",
    "text",
    "##",
    "#",
    "- x — waits on: #a",
    HEADER,
]
CHANGELOG_LINES = [
    "# Changelog",
    "## 2024-01-02 — Fix the thing",
    "## [2024-99-01] odd",
    "### Problem",
    "### Fix",
    "### Files",
    "### Verification",
    "### Other",
    "Agent: backend",
    "By: qa",
    "Tasks: #1, #2",
    "Tasks: one",
    "Entry: 7",
    "Entry: x",
    "Problem: it broke",
    "Agent: qa",
    "Fix: mended",
    "Solution: also",
    "Verified: by hand",
    "Files: a.py, b.py",
    "- c.py",
    "\\# escaped",
    "body text",
    EMPTY,
    "Unknown: key",
    HEADER,
]
NOISE = st.text(st.characters(codec="utf-8"), max_size=40)
ODD = st.sampled_from(
    [
        "\x00",
        "\x1b[31m",
        "\u202e",
        "\ufeff",
        "\t",
        "\x0b",
        "\x0c",
        "\\",
        "é",
        "🙂",
        "\u2014",
        "x" * 5000,
    ]
)


def texts(valid: list[str]) -> st.SearchStrategy[str]:
    """Files mixing valid lines, near-valid ones (cut, prefixed, noised), junk and odd
    characters, joined by LF or CRLF."""
    near = st.tuples(st.sampled_from(valid), NOISE, st.integers(0, 60)).map(
        lambda t: (t[0][: t[2]] + t[1]) if t[2] % 2 else (t[1] + t[0])
    )
    line = st.one_of(st.sampled_from(valid), near, NOISE, ODD, st.just(""))
    ends = st.sampled_from(["\n", "\r\n"])
    # Most files open with their second line (a section, an entry), so the rest is read in one.
    first = st.sampled_from([[valid[1]], [valid[1]], []])
    files = st.tuples(first, st.lists(line, max_size=40), ends)
    return files.map(lambda t: t[2].join(t[0] + t[1]))


def _squash(text: str) -> str:
    """Text without blanks and backslashes (escaping), to compare what a line said with
    what the parser kept."""
    return re.sub(r"[\s\\]", "", text)


def _structure(line: str) -> bool:
    return HEADING.fullmatch(line) is not None or line.strip() == EMPTY


def _non_blank(text: str) -> list[tuple[int, str]]:
    lines = ((i + 1, trimmed(raw)) for i, raw in enumerate(lines_of(text)))
    return [(n, line) for n, line in lines if line.strip()]


def _header_line(text: str) -> int | None:
    return next((n for n, line in _non_blank(text) if read_header(line)), None)


def tracker_lost(text: str, parsed: ParsedTracker) -> list[tuple[int, str]]:
    """The non-blank lines of a tracker that are neither a task, structure nor reported."""
    accounted = {u.line + n for u in parsed.unparsed for n in range(u.text.count("\n") + 1)}
    for item in parsed.items:  # a wrapped item: all its lines
        accounted |= set(range(item.line, item.line + (item.task.source or "").count("\n") + 1))
    style = parsed.style
    kept = {style.title or "", *style.preamble}
    kept |= {line for _, own in style.sections for line in (*own.empty, *own.lead, *own.trail)}
    kept = {trimmed(line) for line in kept}
    header = _header_line(text) if parsed.header is not None else None
    return [
        (n, line)
        for n, line in _non_blank(text)
        if n not in accounted
        and line not in kept
        and n != header
        and not _structure(line)
        and _HIDDEN.fullmatch(line.strip()) is None
    ]


def _kept(record: ChangelogRecord) -> str:
    parts = [
        record.title,
        record.agent or "",
        record.problem,
        record.fix,
        record.verification,
        *record.files,
    ]
    return _squash("".join(parts))


def _key_kept(key: str, value: str, record: ChangelogRecord) -> bool:
    """Whether the entry holds what a ``Key: value`` line said."""
    if key == "agent":
        return _squash(value) == _squash(record.agent or "")
    if key == "entry":
        return value.strip() == str(record.entry_id)
    if key == "tasks":
        return {int(n) for n in re.findall(r"\d+", value)} <= set(record.tasks)
    if key == "files":
        kept = {_squash(f) for f in record.files}
        return all(_squash(f) in kept for f in value.split(",") if _squash(f))
    return _squash(value) in _squash(str(getattr(record, key)))


def _item_text(line: str) -> str:
    """A list item's text (a listed file keeps its name, not its bullet)."""
    found = ITEM.fullmatch(line)
    return (found.group("text") or "") if found is not None else line


def changelog_lost(text: str, parsed: ParsedChangelog) -> list[tuple[int, str]]:
    """The non-blank lines of a changelog neither reported, structure, nor kept by the entry
    they are in (a key line's value, or a body line's text, found in that entry)."""
    reported = {u.line for u in parsed.unparsed}
    headings = {e.line for e in parsed.entries}
    style = parsed.style
    kept = {trimmed(line) for line in (style.title or "", *style.preamble, *style.empty)}
    header = _header_line(text) if parsed.header is not None else None
    lost = []
    for n, line in _non_blank(text):
        if n in reported or n in headings or n == header or _structure(line) or line in kept:
            continue
        owner = [e.record for e in parsed.entries if e.line < n]
        found = _KEY.fullmatch(line)
        key = KEYS.get(found["key"].strip().lower()) if found is not None else None
        # In a ### block a key line is body text: kept whole.
        if not owner or (
            (found is None or key is None or not _key_kept(key, found["v"], owner[-1]))
            and _squash(line) not in _kept(owner[-1])
            and _squash(_item_text(line)) not in _kept(owner[-1])
        ):
            lost.append((n, line))
    return lost


@fuzz_settings(scale=25)
@given(texts(TRACKER_LINES))
def test_tracker_parse_accounts_for_every_line(text: str) -> None:
    parsed = parse_tracker(text)
    assert tracker_lost(text, parsed) == []
    assert TrackerStyle.from_json(parsed.style.to_json()) == parsed.style
    for item in parsed.items:
        assert 1 <= item.line <= len(lines_of(text))


@fuzz_settings(scale=25)
@given(texts(CHANGELOG_LINES))
def test_changelog_parse_accounts_for_every_line(text: str) -> None:
    parsed = parse_changelog(text)
    assert changelog_lost(text, parsed) == []
    assert ChangelogStyle.from_json(parsed.style.to_json()) == parsed.style


@fuzz_settings(scale=5)
@given(st.text(), st.sampled_from([parse_tracker, parse_changelog]))
def test_any_text_parses_without_raising(text: str, parse: object) -> None:
    assert callable(parse)
    parse(text)


# Regressions: what the fuzzing found.


def test_repeated_changelog_keys_are_reported_not_overwritten() -> None:
    text = (
        "## Fix a thing\nAgent: alpha\nAgent: beta\nEntry: abc\nProblem: one\n"
        "Problem: two\nFix: f\nVerification: v\n"
    )
    parsed = parse_changelog(text)
    (entry,) = parsed.entries
    assert (entry.record.agent, entry.record.problem) == ("alpha", "one\ntwo")
    assert [(u.line, u.reason) for u in parsed.unparsed] == [
        (3, "a second Agent; the first is kept"),
        (4, "not an entry number"),
        (6, "a second Problem; appended to the first"),
    ]
    assert changelog_lost(text, parsed) == []


def test_repeated_changelog_block_is_appended_and_reported() -> None:
    parsed = parse_changelog("## T\n### Fix\none\n### Fix\ntwo\nProblem: p\n")
    (entry,) = parsed.entries
    assert entry.record.fix.split() == ["one", "two", "Problem:", "p"]
    assert (4, "a second Fix; appended to the first") in [
        (u.line, u.reason) for u in parsed.unparsed
    ]
