"""``crewboard sync``: the tracker files and the changelog, both ways, over the API.

Writes ``.claude/trackers/*.md`` and ``.claude/CHANGELOG.md`` and reads hand edits of them
back as updates (docs/sync.md). A conflict or an edit it cannot apply is reported, in
``.claude/crewboard-conflicts.md`` and on stderr, and the run exits 1 leaving that file as
it is.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Annotated

import typer

from crewboard.cli.errors import EXIT_FAILURE, EXIT_USAGE, CliError
from crewboard.cli.output import emit_line, note
from crewboard.cli.remote.connection import ProjectOption
from crewboard.client.credentials import Credentials, resolve
from crewboard.client.errors import ClientError
from crewboard.client.project import Remote, connect
from crewboard.sync.engine import Outcome, sync_once
from crewboard.sync.follow import ServerEvents, follow
from crewboard.sync.report import summary_lines, write_report

logger = logging.getLogger(__name__)


def run_and_report(remote: Remote, repo: Path) -> Outcome:
    """One sync run; applied edits and written files on stdout, refusals on stderr."""
    out = sync_once(remote, repo)
    for line in out.applied:
        emit_line(f"applied {line}")
    for path in out.written:
        emit_line(f"wrote {path}")
    for line in summary_lines(out):
        note(line)
    report = write_report(repo, out)
    if report is not None:
        note(f"report: {report}")
    return out


def watch_repo(remote: Remote, credentials: Credentials, repo: Path, stop: threading.Event) -> None:
    """Sync, then again on every file change or server event, until ``stop`` is set."""
    wake = threading.Event()
    events = ServerEvents(credentials, remote.project, wake, stop)
    events.start()

    def once() -> list[Path]:
        try:
            out = run_and_report(remote, repo)
        except ClientError as exc:  # the server may be back on the next change: keep watching
            note(f"sync failed: {exc.message}")
            return []
        return [repo / path for path in out.files]

    try:
        follow(once, wake, stop)
    finally:
        stop.set()
        events.close()
        events.join(5)


def sync(
    project: ProjectOption = None,
    repo: Annotated[
        Path | None,
        typer.Option(
            "--repo", metavar="PATH", help="The repository holding .claude/ (default: here)."
        ),
    ] = None,
    watch: Annotated[
        bool,
        typer.Option("--watch", help="Keep syncing on file changes and server events (Ctrl-C)."),
    ] = False,
) -> None:
    """Write the trackers and CHANGELOG.md into the repository and apply hand edits of them."""
    root = (repo or Path.cwd()).resolve()
    if not root.is_dir():
        raise CliError(f"--repo {root} is not a folder", EXIT_USAGE)
    credentials = resolve()
    with connect(project) as remote:
        if watch:
            watch_repo(remote, credentials, root, threading.Event())
            return
        out = run_and_report(remote, root)
    if not out.clean:
        raise CliError(
            f"{len(out.conflicts)} conflicts, {len(out.problems)} edits not applied; "
            "the rest was applied; each file lists them at its end "
            "(and .claude/crewboard-conflicts.md)",
            EXIT_FAILURE,
        )
