"""Which roster agent a stdio relay serves when it holds a crew credential.

Claude Code starts a teammate as a process of its own, ``claude --agent-id NAME@TEAM
--agent-name NAME --team-name TEAM …``, with the lead's environment, and each session starts
its MCP servers as its children: the relay reads ``--agent-name`` off its parent's command
line. The lead has none, and says who it is with ``CREWBOARD_AGENT`` (which teammates inherit,
so the parent's name comes first). Linux reads ``/proc``; elsewhere ``ps`` prints it.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

logger = logging.getLogger(__name__)

ENV_AGENT = "CREWBOARD_AGENT"
FLAG = "--agent-name"


def teammate_name(explicit: str | None = None) -> str | None:
    """The agent to act as: ``explicit``, else the parent's ``--agent-name``, else
    ``CREWBOARD_AGENT``; None when none says."""
    if explicit:
        return explicit
    return agent_name_of(parent_arguments()) or os.environ.get(ENV_AGENT, "").strip() or None


def agent_name_of(arguments: list[str]) -> str | None:
    """The value of ``--agent-name`` in a command line (``--agent-name X`` or ``=X``)."""
    for index, argument in enumerate(arguments):
        if argument == FLAG and index + 1 < len(arguments):
            return arguments[index + 1]
        if argument.startswith(FLAG + "="):
            return argument.split("=", 1)[1]
    return None


def parent_arguments() -> list[str]:
    """The parent process's command line, split into arguments ([] when unreadable)."""
    parent = os.getppid()
    try:
        raw = Path(f"/proc/{parent}/cmdline").read_bytes()
        return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]
    except OSError:
        pass  # not Linux: ask ps (its words are split on spaces, as a shell would not)
    try:
        shown = subprocess.run(  # noqa: S603 - a fixed program and a number
            ["ps", "-o", "args=", "-p", str(parent)],  # noqa: S607 - ps from the PATH
            capture_output=True,
            text=True,
            timeout=2,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.info("cannot read the parent process's command line: %s", exc)
        return []
    return shown.stdout.split()
