"""Read a tracker file back into tasks, in crewboard's form or the template's, and learn its style.

Accepted (docs/markdown.md): the four sections under any heading level, with a few common
aliases (To Do, Doing, Done, …); list items with ``-``, ``*``, ``+`` or ``1.``, with or
without a ``[ ]`` / ``[x]`` box, wrapped over indented lines; ids as ``#N`` or a trailing
``<!-- #N -->``. The title, the preamble, italic hints, quotes and empty markers are kept as
the file's style, not reported; every other line that holds data it cannot read is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from crewboard.services.markdown.escape import Escaped
from crewboard.services.markdown.header import (
    HEADING,
    ITEM,
    REFUSED_END,
    REFUSED_START,
    body_after,
    digest,
    lines_of,
    read_header,
    trimmed,
)
from crewboard.services.markdown.model import (
    BLOCKED,
    COMPLETED,
    IN_PROGRESS,
    PENDING,
    SECTIONS,
    Header,
    ParsedTask,
    ParsedTracker,
    TrackerTask,
    Unparsed,
)
from crewboard.services.markdown.tracker_line import (
    DATE,
    ID_COMMENT,
    SEPARATORS,
    completed,
    strip_id,
    unfinished,
)
from crewboard.services.markdown.tracker_style import (
    DEFAULT_EMPTY,
    LINE_MAX,
    LINES_MAX,
    SectionStyle,
    TrackerStyle,
)

ALIASES = {
    IN_PROGRESS: (
        "in progress",
        "in-progress",
        "inprogress",
        "doing",
        "active",
        "current",
        "wip",
        "started",
        "working",
    ),
    PENDING: (
        "pending",
        "todo",
        "to do",
        "to-do",
        "backlog",
        "queue",
        "up next",
        "next",
        "open",
        "planned",
    ),
    BLOCKED: ("blocked", "waiting", "on hold"),
    COMPLETED: ("completed", "done", "finished", "complete", "closed"),
}
_SECTION = {alias: status for status, names in ALIASES.items() for alias in names}
_UNKNOWN = "?"
_CORE = re.compile(r"[^\w]*(.*?)[^\w]*(?:\(\d+\))?[^\w]*")
_HIDDEN = re.compile(r"_… and (\d{1,9}) more not shown_")
_NOTE = re.compile(r"_.*_|\*[^*\s].*\*|>.*|<!--.*-->|-{3,}|\*{3,}|_{3,}")
_NONE = re.compile(r"(?i)[_*]\(?none\)?\.?[_*]")
_HINT = re.compile(r"[_*][-*+] .*|.*\*\*YYYY-MM-DD\*\*.*")
_LIST = r"\s*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?"
_BOLD_PRIORITY = re.compile(_LIST + r"(?:#\d{1,9} )?\*\*[Pp][0-3]\*\*")
_VISIBLE_ID = re.compile(_LIST + r"(?:\*\*[\d-]+\*\*:?[ \t]*)?#\d")


def section_of(title: str) -> str | None:
    """The status a section heading stands for (``None``: not a tracker section)."""
    core = _CORE.fullmatch(title.strip().lower())
    return _SECTION.get(core.group(1) if core else "")


@dataclass
class _Item:
    line: int
    status: str
    box: str | None
    raw: list[str]
    text: list[str]


@dataclass
class _Section:
    status: str
    heading: str
    tokens: list[str | None] = field(default_factory=list)  # a kept line, or None: a task


class _Reader:
    """One pass over the lines; collects tasks, reports and the file's style."""

    def __init__(self) -> None:
        self.items: list[ParsedTask] = []
        self.unparsed: list[Unparsed] = []
        self.hidden: dict[str, int] = {}
        self.seen: set[int] = set()
        self.sections: list[_Section] = []
        self.preamble: list[str] = []
        self.title: str | None = None
        self.item: _Item | None = None
        self.task_texts: list[str] = []
        self.kept: list[Unparsed] = []  # lines kept as the file's style (reported if too many)

    def keep(self, line: int, raw: str) -> None:
        why = f"not kept: a tracker keeps at most {LINES_MAX} lines of its own"
        self.kept.append(Unparsed(line, raw, why))

    def report(self, line: int, text: str, reason: str) -> None:
        self.unparsed.append(Unparsed(line, text, reason))

    def flush(self) -> None:
        item, self.item = self.item, None
        if item is None:
            return
        raw = list(item.raw)
        raw[-1], number = strip_id(raw[-1])
        text, _ = strip_id(" ".join([item.text[0], *(part.strip() for part in item.text[1:])]))
        self.task_texts.append(text)
        body = Escaped.read(text)

        def report(part: str, reason: str) -> None:
            self.report(item.line, part, reason)

        parse = completed if item.status == COMPLETED or body.prefix(DATE) else unfinished
        task = parse(item.status, body, number, report)
        if task is None:
            self.report(item.line, "\n".join(item.raw), "an empty list item")
            return
        if task.number is not None:
            if task.number in self.seen:
                self.report(item.line, "\n".join(item.raw), f"task #{task.number} is listed twice")
                return
            self.seen.add(task.number)
        checked = None if item.box is None else item.box != " "
        self.items.append(ParsedTask(item.line, replace(task, source="\n".join(raw)), checked))
        self.sections[-1].tokens.append(None)

    def line(self, number: int, raw: str, line: str) -> None:
        """A non-blank line inside a tracker section."""
        section = self.sections[-1]
        found = ITEM.fullmatch(line)
        top = found is not None and not line[0].isspace()
        if self.item is not None and line[0].isspace() and found is None:
            self.item.raw.append(raw)
            self.item.text.append(line)
            return
        self.flush()
        stripped = line.strip()
        if (hidden := _HIDDEN.fullmatch(stripped)) is not None:
            self.hidden[section.status] = self.hidden.get(section.status, 0) + int(hidden.group(1))
        elif top and found is not None:
            text = found.group("text") or ""
            self.item = _Item(number, section.status, found.group("box"), [raw], [text])
        elif _NOTE.fullmatch(stripped) and len(raw) <= LINE_MAX:
            section.tokens.append(raw)
            self.keep(number, raw)
        else:
            self.report(number, raw, "not a task line")

    def blank(self) -> None:
        self.flush()
        if self.sections:
            self.sections[-1].tokens.append("")
        elif self.preamble:
            self.preamble.append("")


def _trim(lines: list[str], *, start: bool = True, end: bool = True) -> tuple[str, ...]:
    first, last = 0, len(lines)
    while start and first < last and not lines[first].strip():
        first += 1
    while end and last > first and not lines[last - 1].strip():
        last -= 1
    return tuple(lines[first:last])


def _section_style(section: _Section) -> SectionStyle:
    tokens = section.tokens
    tasks = [i for i, t in enumerate(tokens) if t is None]
    if not tasks:
        empty = _trim([t for t in tokens if t is not None])
        return SectionStyle(empty=empty, lead=tuple(t for t in empty if _HINT.fullmatch(t.strip())))
    lead = _trim([t for t in tokens[: tasks[0]] if t is not None], end=False)
    between = [t for t in tokens[tasks[0] : tasks[-1]] if t]
    trail = _trim([*between, *(t for t in tokens[tasks[-1] + 1 :] if t is not None)], start=False)
    return SectionStyle(lead=lead, trail=trail)


def _separator(reader: _Reader) -> str:
    used = [sep for sep in SEPARATORS if any(sep in t for t in reader.task_texts)]
    if used:
        return SEPARATORS[0] if SEPARATORS[0] in used else used[0]
    kept = [reader.title or "", *reader.preamble]
    kept += [t for s in reader.sections for t in s.tokens if t]
    dashes = any(SEPARATORS[1] in t for t in kept) and not any(SEPARATORS[0] in t for t in kept)
    return SEPARATORS[1] if dashes else SEPARATORS[0]


def _style(reader: _Reader, lines: list[str], header: Header | None) -> TrackerStyle:
    raws = [lines[i.line - 1] for i in reader.items]
    visible = any(_VISIBLE_ID.match(r) for r in raws) and not any(
        ID_COMMENT.search(r) for r in raws
    )
    markers = [
        t.strip() for s in reader.sections for t in s.tokens if t and _NONE.fullmatch(t.strip())
    ]
    style = TrackerStyle(
        title=reader.title if reader.title is not None else "",
        preamble=_trim(reader.preamble),
        headings=tuple((s.status, s.heading) for s in reader.sections),
        sections=tuple((s.status, _section_style(s)) for s in reader.sections),
        empty_marker=markers[0] if markers else DEFAULT_EMPTY,
        separator=_separator(reader),
        ids="prefix" if visible or header is not None else "comment",
        priority="bold" if any(_BOLD_PRIORITY.match(r) for r in raws) else "bracket",
        boxes=any(i.checked is not None for i in reader.items),
        header=header is not None,
    )
    # What is stored must read back; past that (too much, odd characters: reported), only
    # what crewboard needs is kept.
    bare = replace(style, title="", preamble=(), sections=(), empty_marker=DEFAULT_EMPTY)
    for candidate in (style, bare):
        try:
            TrackerStyle.from_json(candidate.to_json())
        except ValueError:
            continue
        if candidate is bare:
            reader.unparsed += reader.kept
        return candidate
    reader.unparsed += reader.kept
    return replace(bare, headings=())  # the default headings always read back


def parse_tracker(text: str) -> ParsedTracker:
    """The tasks a tracker file lists, by section, every line it could not read, its style."""
    reader = _Reader()
    header: Header | None = None
    header_at = -1
    lines = lines_of(text)
    refused = False
    for index, raw in enumerate(lines):
        number, line = index + 1, trimmed(raw)
        if refused or line.strip() == REFUSED_START:
            reader.flush()
            refused = line.strip() != REFUSED_END
            continue
        if not line.strip():
            reader.blank()
            continue
        if header is None and (found_header := read_header(line)) is not None:
            header, header_at = found_header, index
            continue
        heading = HEADING.fullmatch(line)
        if heading is not None:
            reader.flush()
            level, title = len(heading.group(1)), heading.group(2) or ""
            if level == 1 and not reader.sections and reader.title is None and not reader.preamble:
                if len(line) > LINE_MAX:
                    reader.report(number, raw, f"a title past {LINE_MAX} characters; not kept")
                    reader.title = ""
                else:
                    reader.title = line
                    reader.keep(number, raw)
                continue
            status = section_of(title) or _UNKNOWN
            if status == _UNKNOWN and not reader.sections and len(raw) <= LINE_MAX:
                reader.preamble.append(raw)
                reader.keep(number, raw)
            else:
                if status == _UNKNOWN:
                    reader.report(number, raw, "not a tracker section")
                reader.sections.append(_Section(status, line))
            continue
        if not reader.sections:
            if ITEM.fullmatch(line) and not line.lstrip().startswith(">"):
                reader.report(number, raw, "outside any section")
            elif len(raw) > LINE_MAX:
                reader.report(number, raw, f"longer than {LINE_MAX} characters; not kept")
            else:
                reader.preamble.append(raw)
                reader.keep(number, raw)
        elif reader.sections[-1].status == _UNKNOWN:
            reader.report(number, raw, "in a section that is not a tracker section")
        else:
            reader.line(number, raw, line)
    reader.flush()
    first: dict[str, _Section] = {}
    for section in reader.sections:  # a section written twice: its first heading is its style
        if section.status in first:
            first[section.status].tokens += section.tokens
        elif section.status != _UNKNOWN:
            first[section.status] = section
    reader.sections = list(first.values())
    edited = header is None or digest(body_after(text, header_at)) != header.version
    style = _style(reader, lines, header)
    unparsed = tuple(sorted(reader.unparsed, key=lambda u: u.line))
    return ParsedTracker(header, tuple(reader.items), reader.hidden, unparsed, edited, style)


def read_line(source: str, status: str) -> TrackerTask | None:
    """The task one line (or one wrapped item) reads as in a section, if it reads as exactly one."""
    if not source.strip() or REFUSED_START in source or REFUSED_END in source:
        return None
    heading = dict(SECTIONS)[status]
    parsed = parse_tracker(f"## {heading}\n\n{source}\n")
    if len(parsed.items) != 1 or parsed.unparsed or parsed.items[0].line != 3:
        return None
    return replace(parsed.items[0].task, source=None)
