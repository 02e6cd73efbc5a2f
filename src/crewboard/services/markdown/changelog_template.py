"""The template's changelog entry: ``### <Agent> -- <Title> (<agent> agent)`` and its bullet
``- **YYYY-MM-DD**: <what>. Files: <list>. Verified: <how>.``, read and written.

Read: the bullet may wrap over indented lines, ``Files:`` and ``Verified:`` may come in any
order or not at all, and ``Problem:`` / ``Fix:`` may label the text. crewboard's id rides in a
comment at the end of the heading: ``<!-- entry 3 -->`` or ``<!-- entry 3; tasks #4, #5 -->``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from crewboard.services.markdown.escape import Escaped, escape
from crewboard.services.markdown.model import ChangelogRecord

HEADING = re.compile(
    r"(?P<who>.+?)[ \t]+(?:--|—)[ \t]+(?P<title>.*?)"
    r"(?:[ \t]+\((?P<agent>[A-Za-z0-9][\w.-]{0,63}) agent\))?"
)
ID = re.compile(
    r"[ \t]*<!--[ \t]*entry[ \t]+(\d{1,18})(?:[ \t]*;[ \t]*tasks[ \t]+([#\d, \t]*))?[ \t]*-->$"
)
_BULLET = re.compile(r"[-*+][ \t]+(?:\*\*(\d{4}-\d{2}-\d{2})\*\*:?[ \t]*)?(.*)")
_KEYS = ("Files:", "Verified:", "Problem:", "Fix:")
_NO_FILES = "none"


@dataclass(frozen=True, slots=True)
class TemplateHeading:
    """What an entry's heading says."""

    who: str
    title: str
    agent: str
    entry_id: int | None
    tasks: tuple[int, ...]


def strip_id(line: str) -> tuple[str, int | None, tuple[int, ...]]:
    """A heading without crewboard's id comment, the id and the linked task numbers."""
    found = ID.search(line)
    if found is None:
        return line, None, ()
    tasks = tuple(int(n) for n in re.findall(r"\d+", found.group(2) or ""))
    return line[: found.start()], int(found.group(1)), tasks


def read_heading(title: str) -> TemplateHeading | None:
    """A level-3 heading's text as a template entry, or None when it is not one."""
    text, entry_id, tasks = strip_id(title)
    found = HEADING.fullmatch(text.strip())
    if found is None:
        return None
    who = Escaped.read(found["who"]).text().strip()
    agent = found["agent"] or re.sub(r"\s+", "-", who.lower())
    words = Escaped.read(found["title"]).text().strip()
    return TemplateHeading(who, words, agent, entry_id, tasks)


def _cut(text: Escaped) -> str:
    text = text.strip()
    return (text[:-1] if text.endswith(".") else text).strip().text()


def _split(body: Escaped) -> dict[str, str]:
    """The labelled parts of a bullet's text; the unlabelled start is ``what``."""
    marks: list[tuple[int, str]] = []
    for key in _KEYS:
        at = body.find(key)
        while at > 0 and not body.chars[at - 1].isspace():
            at = body.find(key, at + 1)
        if at >= 0:
            marks.append((at, key))
    marks.sort()
    parts = {"what": _cut(body[: marks[0][0]] if marks else body)}
    for index, (at, key) in enumerate(marks):
        end = marks[index + 1][0] if index + 1 < len(marks) else len(body)
        parts[key] = _cut(body[at + len(key) : end])
    return parts


def read_body(lines: list[str]) -> tuple[date | None, str, str, tuple[str, ...], str]:
    """An entry's lines under its heading: its day, problem, fix, files and verification."""
    bullets: list[list[str]] = []
    for line in lines:
        if not line.strip():
            continue
        if _BULLET.fullmatch(line) and not line[0].isspace():
            bullets.append([line])
        elif bullets:
            bullets[-1].append(line.strip())
        else:
            bullets.append([line.strip()])
    day = None
    problems, fixes, files, checks = [], [], [], []
    for bullet in bullets:
        joined = " ".join(bullet)
        found = _BULLET.fullmatch(joined)
        text = found.group(2) if found else joined
        if found and found.group(1) and day is None:
            try:
                day = date.fromisoformat(found.group(1))
            except ValueError:
                text = joined
        parts = _split(Escaped.read(text))
        problems += [parts["Problem:"]] if "Problem:" in parts else []
        fix = parts.get("Fix:", parts["what"]) if "Fix:" in parts else parts["what"]
        fixes += [fix] if fix else []
        listed = parts.get("Files:", "")
        if listed.startswith("(") and listed.endswith(")"):
            files.append(listed)  # a remark, such as "(advisory, no code changes)": one item
        elif listed and listed != _NO_FILES:
            files += [f.strip() for f in listed.split(",") if f.strip()]
        checks += [parts["Verified:"]] if parts.get("Verified:") else []
    return day, "\n".join(problems), "\n".join(fixes), tuple(files), "\n".join(checks)


def display_name(agent: str) -> str:
    """The name a heading shows for an agent: ``backend`` → ``Backend``."""
    return agent[:1].upper() + agent[1:]


def _one_line(text: str) -> str:
    return escape(" ".join(text.split()), ("Files:", "Verified:", "Problem:", "Fix:"))


def entry_lines(record: ChangelogRecord, separator: str = " -- ") -> list[str]:
    """The entry in the template's form, without its id comment."""
    agent = record.agent or "crewboard"
    title = escape(record.title, ("--",))
    heading = f"### {display_name(agent)}{separator}{title} ({agent} agent)"
    what = _one_line(record.fix)
    if record.problem.strip():
        what = f"Problem: {_one_line(record.problem)}. Fix: {what}"
    day = f"**{record.day.isoformat()}**: " if record.day is not None else ""
    files = ", ".join(escape(f, (",", "Verified:")) for f in record.files) or _NO_FILES
    bullet = f"- {day}{what}. Files: {files}."
    if record.verification.strip():
        bullet += f" Verified: {_one_line(record.verification)}."
    return [heading, bullet]


def id_comment(record: ChangelogRecord) -> str:
    """``<!-- entry N[; tasks #a, #b] -->`` (empty for a record without an id)."""
    if record.entry_id is None:
        return ""
    tasks = f"; tasks {', '.join(f'#{n}' for n in record.tasks)}" if record.tasks else ""
    return f" <!-- entry {record.entry_id}{tasks} -->"
