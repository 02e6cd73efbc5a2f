"""``python -m crewboard``: the same as the ``crewboard`` command."""

from __future__ import annotations

from crewboard.entry import main

if __name__ == "__main__":
    raise SystemExit(main())
