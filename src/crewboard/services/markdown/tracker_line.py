"""One tracker line (a list item's text, wrapped lines joined) read into a ``TrackerTask``.

Both crewboard's form and the template's hand-written forms are read (docs/markdown.md):
fields after `` — `` or `` -- ``; ``[P1]`` or ``**P1**:``; ``blocked: why (needs: X)``,
``Needs: X``; completed lines with any of outcome, ``Files:`` and ``Verified:`` in any order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from crewboard.services.markdown.escape import Escaped
from crewboard.services.markdown.model import BLOCKED, TrackerTask

SEPARATORS = (" — ", " -- ")
FILES_KEY, VERIFIED_KEY = "Files:", "Verified:"
NO_FILES, NOT_VERIFIED = "none", "not recorded"
ID_COMMENT = re.compile(r"[ \t]*<!--[ \t]*#(\d{1,9})[ \t]*-->[ \t]*$")
DATE = re.compile(r"\*\*(\d{4}-\d{2}-\d{2})\*\*:?[ \t]?")
_NUMBER = re.compile(r"#(\d{1,9})(?: |$)")
_PRIORITY = re.compile(r"(?:\[[Pp]([0-3])\]|\*\*[Pp]([0-3])\*\*:?)(?:[ \t]+|$)")
_FIELD = re.compile(r"(?i)(owner|waits on|follow-up of|blocked|needs)[ \t]*:[ \t]*")
_NEEDS_TAIL = re.compile(r"(?i)(?:^|(?<=[\s.;,]))\(?needs:[ \t]*([A-Za-z0-9][\w.-]{0,63}?)\)?\.?$")
_NUMBERS = re.compile(r"#?(\d{1,9})(?:\s*,\s*#?(\d{1,9}))*")

Report = Callable[[str, str], None]


def strip_id(text: str) -> tuple[str, int | None]:
    """A line without its trailing ``<!-- #N -->``, and N (a blank a backslash escapes stays)."""
    found = ID_COMMENT.search(text)
    if found is None:
        return text, None
    start = found.start()
    before = text[:start]
    if start < len(text) and (len(before) - len(before.rstrip("\\"))) % 2 == 1:
        start += 1
    return text[:start], int(found.group(1))


def split_fields(body: Escaped) -> list[tuple[str, Escaped]]:
    """The parts of a line at each unescaped separator, each with the separator before it."""
    parts: list[tuple[str, Escaped]] = []
    before, start = "", 0
    while True:
        found = [(at, sep) for sep in SEPARATORS if (at := body.find(sep, start)) >= 0]
        if not found:
            parts.append((before, body[start:]))
            return parts
        at, sep = min(found)
        parts.append((before, body[start:at]))
        before, start = sep, at + len(sep)


def head(text: Escaped) -> tuple[int | None, int | None, Escaped]:
    """The ``#N`` and priority a line starts with, and the rest."""
    number = priority = None
    if (found := text.prefix(_NUMBER)) is not None:
        number, text = int(found[0].group(1)), found[1].strip()
    if (found := text.prefix(_PRIORITY)) is not None:
        priority, text = int(found[0].group(1) or found[0].group(2)), found[1].strip()
    if number is None and (found := text.prefix(_NUMBER)) is not None:
        number, text = int(found[0].group(1)), found[1].strip()
    return number, priority, text


def _cut_period(text: Escaped) -> Escaped:
    """Without trailing blanks and one final period (blanks before it are kept: " — ." is
    an empty outcome)."""
    end = len(text)
    while end and not text.escaped[end - 1] and text.chars[end - 1].isspace():
        end -= 1
    text = text[:end]
    return text[:-1] if text.endswith(".") else text


def _needs(text: Escaped) -> tuple[Escaped, str | None]:
    """A reason without its trailing ``(needs: X)`` / ``Needs: X``, and X."""
    spaced = Escaped.read(" ") + text  # crewboard's own form first: any X, escaped
    at = spaced.find(" (needs: ")
    if at >= 0 and spaced.endswith(")"):
        return spaced[:at].strip(), spaced[at + len(" (needs: ") : -1].text()
    plain = "".join("\uffff" if e else c for c, e in zip(text.chars, text.escaped, strict=True))
    found = _NEEDS_TAIL.search(plain)
    if found is None:
        return text, None
    rest = text[: found.start()].strip()
    while len(rest) and not rest.escaped[-1] and rest.chars[-1] in ".;,":
        rest = rest[:-1].strip()
    return rest, found.group(1)


def _numbers(text: str) -> tuple[int, ...] | None:
    if _NUMBERS.fullmatch(text.strip()) is None:
        return None
    return tuple(int(n) for n in re.findall(r"\d+", text))


def unfinished(
    status: str, body: Escaped, number: int | None, report: Report
) -> TrackerTask | None:
    """A Pending, In Progress or Blocked line."""
    (_, first), *rest = split_fields(body)
    written, priority, title = head(first.strip())
    number = number if number is not None else written
    values: dict[str, object] = {}
    reason: Escaped | None = None
    for sep, part in rest:
        field = part.prefix(_FIELD)
        name = field[0].group(1).lower() if field else None
        value = field[1].strip() if field else part.strip()
        if name == "owner":
            values["owner"] = value.text() or None
        elif name in ("blocked", "needs"):
            said, needs = _needs(value) if name == "blocked" else (None, value.text().rstrip(".)"))
            if said is not None:
                reason = said
            if needs:
                values["needs_agent"] = needs
        elif name in ("waits on", "follow-up of") and (found := _numbers(value.text())) is not None:
            if name == "waits on":
                values["waits_on"] = found
            else:
                values["follow_up_of"] = found[0]
        elif name is None and status == BLOCKED and reason is None:
            reason = part.strip()
        elif name is None and not values and reason is None:
            title = title + sep + part
        else:
            report(part.text(), "an unknown part of a task line, ignored")
    if status == BLOCKED:
        if reason is None and "needs_agent" not in values:
            title, needs = _needs(title)
            if needs:
                values["needs_agent"] = needs
        if reason is None and not rest and number is None and (at := title.find(": ")) > 0:
            title, reason = title[:at], title[at + 2 :]  # "Title: why", as people write it
        if reason is not None:
            reason, needs = _needs(reason)
            if needs and "needs_agent" not in values:
                values["needs_agent"] = needs
        values["blocked_reason"] = reason.text() if reason is not None and len(reason) else None
    elif reason is not None:
        values["blocked_reason"] = reason.text() or None
    words = title.strip().text()
    if not words and number is None:
        return None
    return TrackerTask(status=status, title=words, number=number, priority=priority, **values)  # type: ignore[arg-type]


def _markers(body: Escaped) -> list[tuple[int, str]]:
    """Where ``Files:`` and ``Verified:`` start (the first of each, at a word's start)."""
    found: list[tuple[int, str]] = []
    for key in (FILES_KEY, VERIFIED_KEY):
        at = body.find(key)
        while at > 0 and not body.chars[at - 1].isspace():
            at = body.find(key, at + 1)
        if at >= 0:
            found.append((at, key))
    return sorted(found)


def completed(status: str, body: Escaped, number: int | None, report: Report) -> TrackerTask | None:
    """A dated or Completed line: ``**date**: title — outcome. Files: …. Verified: ….``"""
    day = None
    if (found := body.prefix(DATE)) is not None:
        try:
            day = date.fromisoformat(found[0].group(1))
            body = found[1]
        except ValueError:
            report(found[0].group(1), "not a date; kept in the title")
    markers = _markers(body)
    summary = body[: markers[0][0]] if markers else body
    files: tuple[str, ...] = ()
    verified = None
    for index, (at, key) in enumerate(markers):
        end = markers[index + 1][0] if index + 1 < len(markers) else len(body)
        value = _cut_period(body[at + len(key) : end]).strip()
        if key == FILES_KEY and not value.is_(NO_FILES):
            files = tuple(f.strip().text() for f in value.split(",") if len(f.strip()))
        elif key == VERIFIED_KEY and not value.is_(NOT_VERIFIED):
            verified = value.text()
    (_, title), *rest = split_fields(_cut_period(summary))
    outcome = None
    if rest:
        outcome = rest[0][1]
        for sep, part in rest[1:]:
            outcome = outcome + sep + part
    written, priority, title = head(title.strip())
    number = number if number is not None else written
    text = title.strip().text()
    said = outcome.strip().text() if outcome is not None else None
    if not text and number is None and said is None:
        return None
    return TrackerTask(
        status=status,
        title=text,
        number=number,
        priority=priority,
        completed_on=day,
        outcome=said,
        files=files,
        verified=verified,
    )
