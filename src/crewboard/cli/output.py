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


def emit_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A Rich table on stdout; an empty listing says so instead."""
    materialised = [list(row) for row in rows]
    console = Console(highlight=False, soft_wrap=False)
    if not materialised:
        console.print(f"no {title.lower()}", markup=False)
        return
    # Cells are Text, so that a name like "[red]x" is shown as typed, not as markup.
    table = Table(title=Text(title), title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in materialised:
        table.add_row(*(Text(cell) for cell in row))
    console.print(table)
