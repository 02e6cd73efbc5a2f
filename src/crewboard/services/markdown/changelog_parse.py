"""Read a ``CHANGELOG.md`` back into entries: the rendered form exactly, hand-written ones
tolerantly.

An entry starts at a level-2 heading (``## [date —] title``). Before its first part it may
list ``Agent``, ``Tasks``, ``Entry`` and ``Files``, as ``- Key: value``, ``**Key:** value``
or ``Key: value``; the parts are ``### Problem|Fix|Files|Verification`` blocks or such
key lines (a key line's text runs on until the next key, heading or blank line).
What cannot be read, and entries that lack a part, are reported as ``Unparsed``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from crewboard.services.markdown.changelog_render import EMPTY, PARTS
from crewboard.services.markdown.changelog_style import TEMPLATE_EMPTY, ChangelogStyle
from crewboard.services.markdown.changelog_template import (
    TemplateHeading,
    read_body,
    read_heading,
    strip_id,
)
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
    ChangelogRecord,
    Header,
    ParsedChangelog,
    ParsedEntry,
    Unparsed,
)
from crewboard.services.markdown.tracker_style import LINE_MAX, LINES_MAX

# A date, then an em or en dash, a hyphen, a colon, a bar or a blank before the title.
_DATED = re.compile(r"\[?(\d{4}-\d{2}-\d{2})\]?(?:[ \t]*(?:\u2014|\u2013|-|:|\|)[ \t]*|[ \t]+|$)")
_KEY = re.compile(
    r"(?:[-*+]\s+)?(?:\*\*|__)?(?P<key>[A-Za-z][A-Za-z ]{1,20}?)\s*:(?:\*\*|__)?:?\s*(?P<v>.*)"
)
KEYS = {
    "agent": "agent",
    "by": "agent",
    "tasks": "tasks",
    "task": "tasks",
    "entry": "entry",
    "files": "files",
    "problem": "problem",
    "fix": "fix",
    "solution": "fix",
    "verification": "verification",
    "verified": "verification",
}
_NUMBERS = re.compile(r"#?\d{1,9}(?:\s*,\s*#?\d{1,9})*")
_DATE_ONLY = re.compile(r"\[?\d{4}-\d{2}-\d{2}\]?")
_ITALIC = re.compile(r"_.*_|\*[^*\s].*\*")


@dataclass
class _Entry:
    line: int
    title: str
    day: date | None
    values: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    part: str | None = None  # the part whose lines come next
    block: bool = False  # the part is a ### block (runs until the next heading)
    body: list[str] = field(default_factory=list)
    template: TemplateHeading | None = None  # an entry in the template's form
    raw: list[str] = field(default_factory=list)  # a template entry's lines, as written

    def close_part(self) -> None:
        if self.part is not None and self.part != "files":
            lines = self.body
            while lines and not lines[0].strip():
                lines = lines[1:]
            while lines and not lines[-1].strip():
                lines = lines[:-1]
            text = "\n".join(line[1:] if line.startswith("\\") else line for line in lines)
            text = text if self.block else text.strip()
            if self.part in self.values:  # a repeated part (reported): appended, not lost
                text = self.values[self.part] + "\n" + text
            self.values[self.part] = text
        self.part, self.block, self.body = None, False, []

    def record(self) -> tuple[ChangelogRecord, list[str]]:
        if self.template is not None:
            return self._template_record(), []
        tasks = tuple(int(n) for n in re.findall(r"\d+", self.values.get("tasks", "")))
        entry = self.values.get("entry", "")
        missing = [p for p in ("problem", "fix", "verification") if p not in self.values]
        return ChangelogRecord(
            title=self.title,
            agent=self.values.get("agent"),
            day=self.day,
            problem=self.values.get("problem", ""),
            fix=self.values.get("fix", ""),
            files=tuple(self.files),
            verification=self.values.get("verification", ""),
            tasks=tasks,
            entry_id=int(entry) if entry.isdigit() else None,
        ), missing

    def _template_record(self) -> ChangelogRecord:
        assert self.template is not None
        raw = _trim(self.raw)
        day, problem, fix, files, verification = read_body(raw[1:])
        return ChangelogRecord(
            title=self.template.title,
            agent=self.template.agent,
            day=day or self.day,
            problem=problem,
            fix=fix,
            files=files,
            verification=verification,
            tasks=self.template.tasks,
            entry_id=self.template.entry_id,
            source="\n".join(raw),
        )


def _trim(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _heading(title: str) -> tuple[date | None, str]:
    text = Escaped.read(title)
    day = None
    if (found := text.prefix(_DATED)) is not None:
        try:
            day = date.fromisoformat(found[0].group(1))
            text = found[1]
        except ValueError:
            # Not a real date ("2025-13-01"): it is kept as the start of the title.
            day = None
    return day, text.strip().text()


class _Reader:
    def __init__(self) -> None:
        self.entries: list[ParsedEntry] = []
        self.unparsed: list[Unparsed] = []
        self.entry: _Entry | None = None
        self.preamble: list[str] = []
        self.preamble_at: list[int] = []  # the line number of each
        self.title: str | None = None
        self.title_at = 0
        self.day: date | None = None  # the date section entries are under (template form)
        self.template = False  # the file shows the template's form

    def keep(self, line: int, raw: str) -> None:
        self.preamble.append(raw)
        self.preamble_at.append(line)

    def report(self, line: int, text: str, reason: str) -> None:
        self.unparsed.append(Unparsed(line, text, reason))

    def finish(self) -> None:
        if self.entry is None:
            return
        self.entry.close_part()
        record, missing = self.entry.record()
        if missing:
            self.report(self.entry.line, record.title, "the entry has no " + ", ".join(missing))
        self.entries.append(ParsedEntry(self.entry.line, record))
        self.entry = None

    def key_line(self, entry: _Entry, number: int, raw: str, line: str) -> bool:
        found = _KEY.fullmatch(line)
        key = KEYS.get(found["key"].strip().lower()) if found else None
        if found is None or key is None:
            return False
        entry.close_part()
        value = found["v"]
        if key == "files":
            text = Escaped.read(value)
            entry.files += [f.strip().text() for f in text.split(",") if len(f.strip())]
        elif key == "tasks" and not _NUMBERS.fullmatch(value.strip()):
            self.report(number, raw, "not a list of task numbers")
        elif key in entry.values:  # never overwritten silently: the first stays
            self.report(
                number,
                raw,
                f"a second {found['key'].strip()}; the first is kept"
                if key in ("agent", "entry", "tasks")
                else f"a second {found['key'].strip()}; appended to the first",
            )
            if key not in ("agent", "entry", "tasks"):
                entry.part, entry.body = key, [value]
        elif key == "entry" and not value.strip().isdigit():
            self.report(number, raw, "not an entry number")
        elif key in ("agent", "entry", "tasks"):
            entry.values[key] = Escaped.read(value).strip().text()
        else:
            entry.part, entry.body = key, [value]
        return True

    def line(self, number: int, raw: str, line: str) -> None:
        entry = self.entry
        if entry is None:
            self.keep(number, raw)  # the file's own text: kept as its style
            return
        if entry.template is not None:
            entry.raw.append(raw)
            return
        if entry.part == "files":
            item = ITEM.fullmatch(line)
            if item is not None and item.group("text"):
                entry.files.append(Escaped.read(item.group("text")).strip().text())
            elif line.strip() not in ("", EMPTY):
                self.report(number, raw, "not a file of the list")
        elif entry.block and entry.part is not None:
            entry.body.append(raw)
        elif not line.strip():
            entry.close_part()
        elif self.key_line(entry, number, raw, line):
            return
        elif entry.part is not None:
            entry.body.append(line)
        else:
            self.report(number, raw, "not part of an entry")


def parse_changelog(text: str) -> ParsedChangelog:
    """The entries a changelog file holds, oldest first, every line it could not read, and
    how it is written."""
    reader = _Reader()
    header: Header | None = None
    header_at = -1
    fence = refused = False
    for index, raw in enumerate(lines_of(text)):
        number, line = index + 1, trimmed(raw)
        if refused or line.strip() == REFUSED_START:
            refused = line.strip() != REFUSED_END
            continue
        if line.lstrip().startswith("```"):
            fence = not fence
        heading = None if fence or line.lstrip().startswith("```") else HEADING.fullmatch(line)
        if header is None and reader.entry is None and (found := read_header(line)):
            header, header_at = found, index
            continue
        if heading is None:
            reader.line(number, raw, line)
            continue
        _heading_line(reader, number, raw, len(heading.group(1)), heading.group(2) or "")
    reader.finish()
    edited = header is None or digest(body_after(text, header_at)) != header.version
    style = _style(reader, header)
    return ParsedChangelog(header, tuple(reader.entries), tuple(reader.unparsed), edited, style)


def _heading_line(reader: _Reader, number: int, raw: str, level: int, title: str) -> None:
    parts = {p.lower(): p.lower() for p in PARTS} | {"verified": "verification", "solution": "fix"}
    first = reader.entry is None and not reader.entries
    if level == 1 and first and reader.title is None and not reader.preamble:
        reader.title, reader.title_at = raw, number  # the file's title
        return
    if level <= 2 and _DATE_ONLY.fullmatch(title.strip()):
        reader.finish()
        reader.day, _ = _heading(title)
        reader.template = True
        return
    if level <= 2 and first and title.strip().lower() == "template":
        reader.keep(number, raw)  # the template's "how to write an entry" block
        reader.template = True
        return
    if (
        level == 3
        and (found := read_heading(title)) is not None
        and (reader.entry is None or title.strip().lower() not in parts)
    ):
        reader.finish()
        reader.entry = _Entry(
            number, found.title, reader.day, template=found, raw=[strip_id(raw)[0]]
        )
        reader.template = True
        return
    if level <= 2:
        reader.finish()
        day, name = _heading(title)
        reader.entry = _Entry(number, name, day)
    elif (
        reader.entry is not None
        and reader.entry.template is None
        and title.strip().lower() in parts
    ):
        reader.entry.close_part()
        if parts[title.strip().lower()] in reader.entry.values:
            reader.report(number, raw, "a second " + title.strip() + "; appended to the first")
        reader.entry.part, reader.entry.block = parts[title.strip().lower()], True
    elif reader.entry is None:
        reader.keep(number, raw)
    else:
        reader.report(number, raw, "not a part of a changelog entry")
        reader.entry.close_part()


def _style(reader: _Reader, header: Header | None) -> ChangelogStyle:
    preamble = _trim(reader.preamble)
    while preamble and not preamble[0].strip():
        preamble = preamble[1:]
    template = header is None and (reader.template or not reader.entries)
    empty: list[str] = []
    if template and not reader.entries:
        while preamble and _ITALIC.fullmatch(preamble[-1].strip()):
            empty.insert(0, preamble.pop())
        preamble = _trim(preamble)
    style = ChangelogStyle(
        form="template" if template else "crewboard",
        title=reader.title if reader.title is not None or header is not None else "",
        preamble=tuple(preamble),
        empty=tuple(empty) if empty or not template else (TEMPLATE_EMPTY,),
        header=header is not None,
    )
    try:
        return ChangelogStyle.from_json(style.to_json())  # what is stored must read back
    except ValueError:  # too much, or odd characters (reported): what crewboard needs only
        why = f"not kept: a changelog keeps {LINES_MAX} lines of {LINE_MAX} characters of its own"
        for line, raw in zip(reader.preamble_at, reader.preamble, strict=True):
            if raw.strip():
                reader.report(line, raw, why)
        if reader.title is not None:
            reader.report(reader.title_at, reader.title, why)
        return ChangelogStyle(form=style.form, title=None if header else "", header=style.header)
