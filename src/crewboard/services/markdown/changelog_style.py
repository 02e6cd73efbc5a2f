"""How a changelog file is written, learned from the file: crewboard's form or the template's.

``ChangelogStyle()`` is crewboard's own (a new file). The template's form keeps the file's
title, its preamble (intro, rules, the ``## Template`` block) and its "no entries yet" line,
and writes entries under ``## YYYY-MM-DD`` date sections (docs/markdown.md). Stored as JSON;
``from_json`` is a boundary and checks all of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crewboard.services.markdown.tracker_style import LINES_MAX, style_line, style_lines

FORMS = ("crewboard", "template")
TEMPLATE_EMPTY = "_No entries yet. Agents will append here as they complete work._"


@dataclass(frozen=True, slots=True)
class ChangelogStyle:
    """A changelog's dialect. ``title`` None: ``# Changelog``; "": no title line."""

    form: str = "crewboard"
    title: str | None = None
    preamble: tuple[str, ...] = ()
    empty: tuple[str, ...] = ()
    header: bool = True

    def to_json(self) -> dict[str, Any]:
        """The style as JSON values (what ``from_json`` reads back)."""
        return {
            "form": self.form,
            "title": self.title,
            "preamble": list(self.preamble),
            "empty": list(self.empty),
            "header": self.header,
        }

    @classmethod
    def from_json(cls, data: object) -> ChangelogStyle:
        """A stored style, checked; ``ValueError`` names what is wrong."""
        if not isinstance(data, Mapping):
            raise ValueError("a changelog style is a JSON object")
        unknown = set(data) - set(cls().to_json())
        if unknown:
            names = ", ".join(sorted(map(str, unknown)))
            raise ValueError(f"unknown changelog style fields: {names}")
        form = data.get("form", "crewboard")
        if form not in FORMS:
            raise ValueError("form is 'crewboard' or 'template'")
        title = data.get("title")
        header = data.get("header", True)
        if not isinstance(header, bool):
            raise ValueError("header is true or false")
        style = cls(
            form=str(form),
            title=None if title is None else style_line(title, "title"),
            preamble=style_lines(data.get("preamble", []), "preamble"),
            empty=style_lines(data.get("empty", []), "empty"),
            header=header,
        )
        if len(style.preamble) + len(style.empty) > LINES_MAX:
            raise ValueError(f"a changelog style keeps at most {LINES_MAX} lines")
        return style
