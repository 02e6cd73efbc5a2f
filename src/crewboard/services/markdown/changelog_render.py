"""A project's ``CHANGELOG.md``: one entry per record, oldest first; a pure function.

Each entry: ``## YYYY-MM-DD — <title>``, a list of ``Agent``, ``Tasks`` and ``Entry`` (its
id), then the four parts ``### Problem``, ``### Fix``, ``### Files``, ``### Verification``.
Part bodies are verbatim markdown, except that a line which could be read as a heading, or
which starts with a backslash, gets one more backslash in front (docs/markdown.md).
"""

from __future__ import annotations

import re

from crewboard.services.markdown.changelog_style import ChangelogStyle
from crewboard.services.markdown.changelog_template import entry_lines as template_lines
from crewboard.services.markdown.changelog_template import id_comment, read_body, read_heading
from crewboard.services.markdown.escape import SEPARATOR, escape
from crewboard.services.markdown.header import header_line
from crewboard.services.markdown.model import ChangelogDoc, ChangelogRecord

TITLE = "# Changelog"
EMPTY = "_none_"
PARTS = ("Problem", "Fix", "Files", "Verification")
_NEEDS_ESCAPE = re.compile(r"\s*#|\\")
_DATE_LIKE = re.compile(r"\[?\d{4}-\d{2}-\d{2}")


def normalise_body(text: str) -> str:
    """A part's text as the file keeps it: LF line ends, no blank edges (what the service
    stores anyway)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def body_lines(text: str) -> list[str]:
    """The lines of a part's body, escaped where a line could end the part: a heading-like
    line, and the last code fence of a body whose fences do not pair up (the reader would stay
    inside that fence and take the next parts' headings for code)."""
    lines = [
        "\\" + line if _NEEDS_ESCAPE.match(line) else line
        for line in normalise_body(text).split("\n")
    ]
    fences = [i for i, line in enumerate(lines) if line.lstrip().startswith("```")]
    if len(fences) % 2:
        lines[fences[-1]] = "\\" + lines[fences[-1]]
    return lines


def entry_lines(record: ChangelogRecord) -> list[str]:
    """One entry, without the blank line that separates it from the next."""
    heading = escape(record.title)
    if _DATE_LIKE.match(heading):  # would be read as the entry's date
        heading = "\\" + heading
    stem = heading[:-1]
    if heading.endswith("#") and (len(stem) - len(stem.rstrip("\\"))) % 2 == 0:
        heading = stem + "\\#"  # a bare "#" at the end could close the heading
    if record.day is not None:
        heading = f"{record.day.isoformat()}{SEPARATOR}{heading}"
    out = [f"## {heading}" if heading else "##", ""]
    if record.agent is not None:
        out.append(f"- Agent: {escape(record.agent)}")
    if record.tasks:
        out.append("- Tasks: " + ", ".join(f"#{n}" for n in record.tasks))
    if record.entry_id is not None:
        out.append(f"- Entry: {record.entry_id}")
    if out[-1]:
        out.append("")
    for part, body in zip(
        PARTS, (record.problem, record.fix, None, record.verification), strict=True
    ):
        out += [f"### {part}", ""]
        if body is None:
            out += [f"- {escape(f)}" for f in record.files] or [EMPTY]
        else:
            out += body_lines(body)
        out.append("")
    return out[:-1]


def render_changelog(doc: ChangelogDoc, style: ChangelogStyle | None = None) -> str:
    """The changelog file; the same document and style always give the same text."""
    style = style or ChangelogStyle()
    if style.form == "template":
        return _template(doc, style)
    body = [""]
    if style.preamble:
        body += [*style.preamble, ""]
    for record in doc.entries:
        body += [*entry_lines(record), ""]
    text = "\n".join(body).rstrip("\n") + "\n"
    title = TITLE if style.title is None else style.title
    if style.header:
        return f"{title}\n{header_line(doc.project, None, text)}\n{text}"
    return f"{title}\n{text}" if title else text.removeprefix("\n")


def _own_words(record: ChangelogRecord) -> list[str] | None:
    """The entry's source lines, when they still read as exactly this record."""
    if record.source is None or not record.source.startswith("###"):
        return None
    lines = record.source.split("\n")
    found = read_heading(lines[0].removeprefix("###").strip())
    if found is None or found.entry_id is not None:
        return None
    day, problem, fix, files, verification = read_body(lines[1:])
    read = (found.title, found.agent, day or record.day, problem, fix, files, verification)
    mine = (record.title, record.agent, record.day, record.problem, record.fix)
    if read != (*mine, record.files, record.verification):
        return None
    return lines


def _template(doc: ChangelogDoc, style: ChangelogStyle) -> str:
    lines = [style.title] if style.title else []
    if style.preamble:
        lines += ["", *style.preamble]
    if not doc.entries:
        lines += ["", *style.empty] if style.empty else []
    day: object = object()
    for record in doc.entries:
        if record.day != day and record.day is not None:
            lines += ["", f"## {record.day.isoformat()}"]
        day = record.day
        entry = _own_words(record) or template_lines(record)
        lines += ["", entry[0] + id_comment(record), *entry[1:]]
    text = "\n".join(lines).lstrip("\n")
    return text + "\n"
