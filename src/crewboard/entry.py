"""The ``crewboard`` executable: ``crewboard hook …`` on a path that imports only the standard
library and the credential file reader (Claude Code waits on a hook at every task completion,
idle teammate and session start), everything else through the full command line."""

from __future__ import annotations

import sys


def main() -> int:
    """Dispatch on the first argument before importing the command line's frameworks."""
    if sys.argv[1:2] == ["hook"]:
        # Imported here: the light path, loaded on demand.
        from crewboard.cli.hook_run import run_hook

        return run_hook(sys.argv[2:])
    from crewboard.cli.main import main as full

    return full()
