"""Read a tracker file back into tasks: the rendered form exactly, hand-written ones tolerantly.

Accepted (docs/markdown.md): the four sections under any heading level, with a few common
aliases (To Do, Doing, Done, …); list items with ``-``, ``*``, ``+`` or ``1.``, with or
without a ``[ ]`` / ``[x]`` box, with or without ``#N`` and ``[Pn]``. Every other line that
is not blank, a title, the header or an empty-section marker is reported as ``Unparsed``.
"""

from __future__ import annotations

import re
from datetime import date

from crewboard.services.markdown.escape import SEPARATOR, Escaped
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
    BLOCKED,
    COMPLETED,
    IN_PROGRESS,
    PENDING,
    Header,
    ParsedTask,
    ParsedTracker,
    TrackerTask,
    Unparsed,
)
from crewboard.services.markdown.tracker_render import (
    EMPTY,
    FILES,
    NEEDS,
    NO_FILES,
    NOT_VERIFIED,
    VERIFIED,
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
_DATE = re.compile(r"\*\*(\d{4}-\d{2}-\d{2})\*\*:?[ \t]*")
_NUMBER = re.compile(r"#(\d{1,9})(?: |$)")
_PRIORITY = re.compile(r"\[[Pp]([0-3])\](?: |$)")
_NUMBERS = re.compile(r"#?(\d{1,9})(?:\s*,\s*#?(\d{1,9}))*")
_FIELDS = ("owner:", "waits on:", "follow-up of:", "blocked:")


def section_of(title: str) -> str | None:
    """The status a section heading stands for (``None``: not a tracker section)."""
    core = _CORE.fullmatch(title.strip().lower())
    return _SECTION.get(core.group(1) if core else "")


def _numbers(text: str) -> tuple[int, ...] | None:
    if _NUMBERS.fullmatch(text.strip()) is None:
        return None
    return tuple(int(n) for n in re.findall(r"\d+", text))


def _head(text: Escaped) -> tuple[int | None, int | None, Escaped]:
    number = priority = None
    if (found := text.prefix(_NUMBER)) is not None:
        number, text = int(found[0].group(1)), found[1].strip()
    if (found := text.prefix(_PRIORITY)) is not None:
        priority, text = int(found[0].group(1)), found[1].strip()
    return number, priority, text


def _cut_period(text: Escaped) -> Escaped:
    return text[:-1] if text.endswith(".") else text


class _Reader:
    """One pass over the lines; collects tasks and reports."""

    def __init__(self) -> None:
        self.items: list[ParsedTask] = []
        self.unparsed: list[Unparsed] = []
        self.hidden: dict[str, int] = {}
        self.seen: set[int] = set()

    def report(self, line: int, text: str, reason: str) -> None:
        self.unparsed.append(Unparsed(line, text, reason))

    def item(self, line: int, raw: str, status: str, text: str, box: str | None) -> None:
        body = Escaped.read(text)
        dated = body.prefix(_DATE) is not None
        task = (
            self._completed(status, body, line)
            if status == COMPLETED or dated
            else self._unfinished(status, body, line)
        )
        if task is None:
            self.report(line, raw, "an empty list item")
            return
        if task.number is not None:
            if task.number in self.seen:
                self.report(line, raw, f"task #{task.number} is listed twice")
                return
            self.seen.add(task.number)
        checked = None if box is None else box != " "
        self.items.append(ParsedTask(line, task, checked))

    def _unfinished(self, status: str, body: Escaped, line: int) -> TrackerTask | None:
        first, *rest = body.split(SEPARATOR)
        number, priority, title = _head(first.strip())
        values: dict[str, object] = {}
        for part in rest:
            name = next((f for f in _FIELDS if part.startswith(f)), None)
            value = part[len(name) :] if name else part
            value = value[1:] if value.startswith(" ") else value
            if name is None and not values:
                title = title + SEPARATOR + part
            elif name == "owner:":
                values["owner"] = value.strip().text() or None
            elif name == "blocked:":
                spaced = Escaped.read(" ") + value  # " (needs: " may open the value
                at = spaced.find(NEEDS)
                reason, needs = spaced, None
                if at >= 0 and spaced.endswith(")"):
                    reason, needs = spaced[:at], spaced[at + len(NEEDS) : -1].text()
                values["blocked_reason"] = reason.strip().text() or None
                values["needs_agent"] = needs
            elif (
                name in ("waits on:", "follow-up of:")
                and (numbers := _numbers(value.text())) is not None
            ):
                if name == "waits on:":
                    values["waits_on"] = numbers
                else:
                    values["follow_up_of"] = numbers[0]
            else:
                self.report(line, part.text(), "an unknown part of a task line, ignored")
        text = title.strip().text()
        if not text and number is None:
            return None
        return TrackerTask(status=status, title=text, number=number, priority=priority, **values)  # type: ignore[arg-type]

    def _completed(self, status: str, body: Escaped, line: int) -> TrackerTask | None:
        day = None
        if (found := body.prefix(_DATE)) is not None:
            try:
                day = date.fromisoformat(found[0].group(1))
                body = found[1]
            except ValueError:
                self.report(line, found[0].group(1), "not a date; kept in the title")
        files: tuple[str, ...] = ()
        verified = None
        at = body.find(FILES)
        if at >= 0:
            head, tail = body[:at], body[at + len(FILES) :]
            if (cut := tail.find(VERIFIED)) >= 0:
                listed, said = tail[:cut], _cut_period(tail[cut + len(VERIFIED) :])
                verified = None if said.is_(NOT_VERIFIED) else said.text()
            else:
                listed = _cut_period(tail)
            if not listed.strip().is_(NO_FILES):
                files = tuple(f.strip().text() for f in listed.split(",") if len(f.strip()))
        else:
            head = _cut_period(body)
        title, outcome = head, None
        if (cut := head.find(SEPARATOR)) >= 0:
            title, outcome = head[:cut], head[cut + len(SEPARATOR) :].text()
        number, priority, title = _head(title.strip())
        text = title.strip().text()
        if not text and number is None and outcome is None:
            return None
        return TrackerTask(
            status=status,
            title=text,
            number=number,
            priority=priority,
            completed_on=day,
            outcome=outcome,
            files=files,
            verified=verified,
        )


def parse_tracker(text: str) -> ParsedTracker:
    """The tasks a tracker file lists, by section, and every line it could not read."""
    reader = _Reader()
    header: Header | None = None
    header_at = -1
    section: str | None = None
    for index, raw in enumerate(lines_of(text)):
        number, line = index + 1, trimmed(raw)
        if not line.strip():
            continue
        if header is None and (found_header := read_header(line)) is not None:
            header, header_at = found_header, index
            continue
        heading = HEADING.fullmatch(line)
        if heading is not None:
            level, title = len(heading.group(1)), heading.group(2) or ""
            if level == 1 and section is None:
                continue  # the file's title
            section = section_of(title) or _UNKNOWN
            if section == _UNKNOWN:
                reader.report(number, raw, "not a tracker section")
            continue
        item = ITEM.fullmatch(line)
        if section is None:
            reader.report(number, raw, "outside any section")
        elif section == _UNKNOWN:
            reader.report(number, raw, "in a section that is not a tracker section")
        elif line.strip() == EMPTY:
            continue
        elif (hidden := _HIDDEN.fullmatch(line.strip())) is not None:
            reader.hidden[section] = reader.hidden.get(section, 0) + int(hidden.group(1))
        elif item is None or line[0].isspace():
            reader.report(number, raw, "not a task line")
        else:
            reader.item(number, raw, section, item.group("text") or "", item.group("box"))
    edited = header is None or digest(body_after(text, header_at)) != header.version
    return ParsedTracker(header, tuple(reader.items), reader.hidden, tuple(reader.unparsed), edited)
