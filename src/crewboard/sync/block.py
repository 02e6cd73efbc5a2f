"""The block ``crewboard sync`` writes at the end of a file to show what it could not apply.

An agent reads its tracker first thing every session, so that is where a refusal is shown:
each refused line quoted with why, between markers both parsers skip. The file itself keeps
following the server; the block goes when a run reads the file's next hand edit and finds
nothing to refuse (docs/sync.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from crewboard.services.markdown import REFUSED_END, REFUSED_START

if TYPE_CHECKING:
    from crewboard.sync.engine import Outcome

QUOTE_MAX = 200  # characters of a refused line shown in the block


def _quoted(text: str) -> str:
    first = text.strip().split("\n")[0]
    shown = first if len(first) <= QUOTE_MAX else first[:QUOTE_MAX] + "…"
    return "`` " + shown.replace("`", "'") + " ``"


def refusal_block(path: str, out: Outcome) -> list[str]:
    """The block for one file (no lines when this run refused nothing of it)."""
    items: list[str] = []
    for problem in (p for p in out.problems if p.path == path):
        where = f"line {problem.line} " if problem.line else ""
        shown = f"{_quoted(problem.text)} " if problem.text.strip() else ""
        items.append(f"> - {where}{shown}— {problem.reason}")
    for conflict in (c for c in out.conflicts if c.path == path):
        items.append(
            f"> - #{conflict.number} changed here and on the server meanwhile; the server's "
            f"line is kept. Yours was {_quoted(conflict.local)}: redo it if it still applies."
        )
    if not items:
        return []
    count = f"{len(items)} line{'s' if len(items) != 1 else ''}"
    return [
        REFUSED_START,
        f"> **crewboard sync could not apply {count} of this file** "
        f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC). The rest of the file is up to date. "
        "Fix the line and run sync again; this block goes away by itself.",
        *items,
        REFUSED_END,
    ]
