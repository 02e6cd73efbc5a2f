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
from crewboard.services.markdown.escape import Escaped
from crewboard.services.markdown.header import (
    HEADING,
    ITEM,
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
            if line.strip():
                self.report(number, raw, "before the first entry")
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
    """The entries a changelog file holds, oldest first, and every line it could not read."""
    reader = _Reader()
    header: Header | None = None
    header_at = -1
    parts = {p.lower(): p.lower() for p in PARTS} | {"verified": "verification", "solution": "fix"}
    for index, raw in enumerate(lines_of(text)):
        number, line = index + 1, trimmed(raw)
        if header is None and reader.entry is None and (found := read_header(line)):
            header, header_at = found, index
            continue
        heading = HEADING.fullmatch(line)
        if heading is None:
            reader.line(number, raw, line)
            continue
        level, title = len(heading.group(1)), heading.group(2) or ""
        if level == 1 and reader.entry is None and not reader.entries:
            continue  # the file's title
        if level <= 2:
            reader.finish()
            day, name = _heading(title)
            reader.entry = _Entry(number, name, day)
        elif reader.entry is not None and title.strip().lower() in parts:
            reader.entry.close_part()
            if parts[title.strip().lower()] in reader.entry.values:
                reader.report(number, raw, "a second " + title.strip() + "; appended to the first")
            reader.entry.part, reader.entry.block = parts[title.strip().lower()], True
        else:
            reader.report(number, raw, "not a part of a changelog entry")
            if reader.entry is not None:
                reader.entry.close_part()
    reader.finish()
    edited = header is None or digest(body_after(text, header_at)) != header.version
    return ParsedChangelog(header, tuple(reader.entries), tuple(reader.unparsed), edited)
