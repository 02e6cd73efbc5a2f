"""The conflict report: what a run refused, why, and how to resolve it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from crewboard.services.core import remove_repo_file, write_repo_file
from crewboard.sync.engine import Outcome
from crewboard.sync.state import REPORT_FILE


def report_text(out: Outcome) -> str:
    """The report as markdown; the files it names were left exactly as they were."""
    kept = sorted({c.path for c in out.conflicts} | {p.path for p in out.problems})
    lines = [
        "# crewboard sync: not applied",
        "",
        f"Run at {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC. Everything else in these files was "
        "applied and they were brought up to date; each lists these lines in a block at its end: "
        + ", ".join(f"`{p}`" for p in kept)
        + ".",
    ]
    if out.conflicts:
        lines += ["", "## Conflicts: changed here and on the server", ""]
        for c in out.conflicts:
            lines += [
                f"- `{c.path}` #{c.number}",
                f"  - here: `{c.local.strip()}`",
                f"  - server: `{c.server.strip()}`",
            ]
        lines += [
            "",
            "The server's line was kept in the file; redo your edit on it if it still applies.",
        ]
    if out.problems:
        lines += ["", "## Problems", ""]
        for p in out.problems:
            where = f"{p.path}:{p.line}" if p.line else p.path
            shown = f" `{p.text.strip()}`" if p.text.strip() else ""
            lines.append(f"- `{where}`{shown}: {p.reason}")
        lines += ["", "Fix these lines in the file and run `crewboard sync` again."]
    return "\n".join(lines) + "\n"


def summary_lines(out: Outcome) -> list[str]:
    """One line per conflict and problem, for stderr."""
    lines = [
        f"conflict: {c.path} #{c.number} changed here and on the server" for c in out.conflicts
    ]
    for p in out.problems:
        where = f"{p.path}:{p.line}" if p.line else p.path
        lines.append(f"not applied: {where}: {p.reason}")
    return lines


def write_report(repo: Path, out: Outcome) -> Path | None:
    """Write the report when the run refused something; remove an old one after a clean run."""
    if out.clean:
        remove_repo_file(repo, REPORT_FILE)
        return None
    write_repo_file(repo, REPORT_FILE, report_text(out))
    return repo / REPORT_FILE
