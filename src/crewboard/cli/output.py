"""Output: Rich tables for people, JSON for machines, plain lines for confirmations.

Data goes to stdout; errors and notes for the operator go to stderr, never marked up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON, for scripts and agents.")]


def emit_json(data: BaseModel | Sequence[BaseModel]) -> None:
    """One object, or a JSON array of objects, on stdout."""
    payload: Any = (
        data.model_dump(mode="json")
        if isinstance(data, BaseModel)
        else [item.model_dump(mode="json") for item in data]
    )
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))


def emit_line(text: str) -> None:
    """A plain confirmation line on stdout."""
    typer.echo(text)


def emit_text(text: str) -> None:
    """A document (markdown) on stdout, exactly as it is."""
    typer.echo(text, nl=not text.endswith("\n"))


def note(text: str) -> None:
    """A plain note for the operator on stderr (keeps stdout clean for data)."""
    typer.echo(text, err=True)


def when(value: datetime | None) -> str:
    """A timestamp for tables: ``YYYY-MM-DD HH:MM`` UTC, or empty."""
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


SHORT_COLUMN = 20  # a column whose cells all fit this many characters is never cut
MIN_TEXT = 12  # the least a text column shrinks to (below that the table grows wider)
WIDE_COLUMNS = frozenset({"title", "subject", "body", "text"})


def fitted_widths(columns: Sequence[str], rows: Sequence[Sequence[str]], room: int) -> list[int]:
    """Each column's width in ``room`` characters: short columns (numbers, statuses, names,
    times) whole; the longer ones share the rest, titles three shares to one."""
    longest = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    short = [n <= SHORT_COLUMN for n in longest]
    free = room - (3 * len(columns) + 1) - sum(n for n, s in zip(longest, short, strict=True) if s)
    shares = [
        0 if s else (3 if c in WIDE_COLUMNS else 1) for c, s in zip(columns, short, strict=True)
    ]
    total = sum(shares) or 1
    return [
        n if s else max(MIN_TEXT, min(n, free * share // total))
        for n, s, share in zip(longest, short, shares, strict=True)
    ]


def emit_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A Rich table on stdout that fits the terminal, one line a row (cut cells end in '…');
    an empty listing says so instead."""
    materialised = [list(row) for row in rows]
    console = Console(highlight=False, soft_wrap=False)
    if not materialised:
        console.print(f"no {title.lower()}", markup=False)
        return
    table = Table(title=Text(title), title_justify="left", header_style="bold")
    for column, width in zip(
        columns, fitted_widths(columns, materialised, console.width), strict=True
    ):
        table.add_column(column, no_wrap=True, overflow="ellipsis", width=width)
    for row in materialised:
        # Cells are Text, so that a name like "[red]x" is shown as typed, not as markup.
        table.add_row(*(Text(cell, no_wrap=True, overflow="ellipsis") for cell in row))
    console.print(table)
