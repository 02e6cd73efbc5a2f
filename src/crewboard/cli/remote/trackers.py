"""``crewboard tracker``: an agent's tracker as the seed protocol's markdown file."""

from __future__ import annotations

from typing import Annotated

import typer

from crewboard.cli.app import new_app
from crewboard.cli.output import emit_text
from crewboard.cli.remote.connection import ProjectOption
from crewboard.client.project import connect

app = new_app("Agents' trackers, over the API: show one as its markdown file.")


@app.command("show")
def show(
    agent: Annotated[str, typer.Argument(metavar="AGENT", help="The roster agent.")],
    project: ProjectOption = None,
) -> None:
    """The tracker ``.claude/trackers/AGENT-tracker.md``: In Progress, Pending, Blocked,
    Completed."""
    with connect(project) as remote:
        emit_text(remote.client.text(remote.path("trackers", f"{agent}.md")))
