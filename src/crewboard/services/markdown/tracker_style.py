"""How one tracker file is written, learned from the file, so it is written back in its dialect.

``TrackerStyle()`` is crewboard's own format (a new file); a style learned from the template's
file keeps its title, preamble, headings, empty markers, format hints, separator and id form
(docs/markdown.md). A style is stored as JSON: ``from_json`` is a boundary and checks all of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crewboard.services.markdown.sections import SECTIONS, STATUSES

DEFAULT_EMPTY = "_none_"
SEPARATORS = (" — ", " -- ")
ID_FORMS = ("prefix", "comment")
PRIORITY_FORMS = ("bracket", "bold")
LINES_MAX = 200  # lines a style may keep, all parts together
LINE_MAX = 500  # characters in one kept line
_DEFAULT_HEADINGS = tuple((status, f"## {name}") for status, name in SECTIONS)


@dataclass(frozen=True, slots=True)
class SectionStyle:
    """One section's own lines: ``empty`` while it lists no task, ``lead`` and ``trail``
    before and after its tasks otherwise (format hints, notes)."""

    empty: tuple[str, ...] = ()
    lead: tuple[str, ...] = ()
    trail: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TrackerStyle:
    """A tracker's dialect. ``title`` None: ``# <agent> tracker``; "" : no title line."""

    title: str | None = None
    preamble: tuple[str, ...] = ()
    headings: tuple[tuple[str, str], ...] = _DEFAULT_HEADINGS
    sections: tuple[tuple[str, SectionStyle], ...] = ()
    empty_marker: str = DEFAULT_EMPTY
    separator: str = SEPARATORS[0]
    ids: str = "prefix"
    priority: str = "bracket"
    boxes: bool = False
    header: bool = True

    def section(self, status: str) -> SectionStyle:
        """The style of one section (no lines of its own: the empty marker only)."""
        found = dict(self.sections).get(status)
        return found if found is not None else SectionStyle(empty=(self.empty_marker,))

    def heading_lines(self) -> list[tuple[str, str]]:
        """Every section's heading line, in the file's order; missing ones after, by default."""
        given = [(s, h) for s, h in self.headings if s in STATUSES]
        have = {s for s, _ in given}
        level = given[0][1].lstrip().split(" ")[0] if given else "##"
        level = level if level and set(level) == {"#"} else "##"
        for status, name in SECTIONS:
            if status not in have:
                given.append((status, f"{level} {name}"))
        return given

    def to_json(self) -> dict[str, Any]:
        """The style as JSON values (what ``from_json`` reads back)."""
        return {
            "title": self.title,
            "preamble": list(self.preamble),
            "headings": [[s, h] for s, h in self.headings],
            "sections": {
                s: {"empty": list(v.empty), "lead": list(v.lead), "trail": list(v.trail)}
                for s, v in self.sections
            },
            "empty_marker": self.empty_marker,
            "separator": self.separator,
            "ids": self.ids,
            "priority": self.priority,
            "boxes": self.boxes,
            "header": self.header,
        }

    @classmethod
    def from_json(cls, data: object) -> TrackerStyle:
        """A stored style, checked; ``ValueError`` names what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("a tracker style is a JSON object")
        unknown = set(data) - set(cls().to_json())
        if unknown:
            raise ValueError(
                f"unknown tracker style fields: {', '.join(sorted(map(str, unknown)))}"
            )
        title = data.get("title")
        if title is not None:
            title = style_line(title, "title")
        sections: list[tuple[str, SectionStyle]] = []
        raw_sections = data.get("sections", {})
        if not isinstance(raw_sections, Mapping):
            raise ValueError("sections is an object of section names")
        for status, value in raw_sections.items():
            if status not in STATUSES or not isinstance(value, Mapping):
                raise ValueError(f"sections: {status} is not a tracker section")
            if set(value) - {"empty", "lead", "trail"}:
                raise ValueError(f"sections.{status}: only empty, lead and trail")
            sections.append(
                (
                    status,
                    SectionStyle(
                        *(
                            style_lines(value.get(k, []), f"sections.{status}.{k}")
                            for k in ("empty", "lead", "trail")
                        )
                    ),
                )
            )
        headings: list[tuple[str, str]] = []
        for pair in _list(data.get("headings", []), "headings"):
            if not (isinstance(pair, list) and len(pair) == 2 and pair[0] in STATUSES):
                raise ValueError("headings are [section, heading line] pairs")
            if not style_line(pair[1], "heading").lstrip().startswith("#"):
                raise ValueError("a heading line starts with #")
            headings.append((pair[0], pair[1]))
        style = cls(
            title=title,
            preamble=style_lines(data.get("preamble", []), "preamble"),
            headings=tuple(headings),
            sections=tuple(sections),
            empty_marker=style_line(data.get("empty_marker", DEFAULT_EMPTY), "empty_marker"),
            separator=_choice(data.get("separator", SEPARATORS[0]), SEPARATORS, "separator"),
            ids=_choice(data.get("ids", "prefix"), ID_FORMS, "ids"),
            priority=_choice(data.get("priority", "bracket"), PRIORITY_FORMS, "priority"),
            boxes=_flag(data.get("boxes", False), "boxes"),
            header=_flag(data.get("header", True), "header"),
        )
        if style.size() > LINES_MAX:
            raise ValueError(f"a tracker style keeps at most {LINES_MAX} lines")
        return style

    def size(self) -> int:
        """How many lines the style keeps."""
        kept = len(self.preamble) + len(self.headings) + 2
        return kept + sum(len(v.empty) + len(v.lead) + len(v.trail) for _, v in self.sections)


def _list(value: object, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{name} is a list")
    return value


def style_line(value: object, name: str) -> str:
    """One line a style keeps, checked (one line, bounded); ``ValueError`` names ``name``."""
    if not isinstance(value, str) or len(value) > LINE_MAX:
        raise ValueError(f"{name} is a text of at most {LINE_MAX} characters")
    if any(ord(ch) < 32 and ch != "\t" for ch in value) or "\u2028" in value or "\u2029" in value:
        raise ValueError(f"{name} is one line")
    return value


def style_lines(value: object, name: str) -> tuple[str, ...]:
    """A list of lines a style keeps, each checked."""
    return tuple(style_line(item, name) for item in _list(value, name))


def _choice(value: object, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"{name} is one of {', '.join(repr(a) for a in allowed)}")
    return str(value)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} is true or false")
    return value


DEFAULT_STYLE = TrackerStyle()
