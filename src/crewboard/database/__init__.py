"""Engine, sessions and migrations."""

from __future__ import annotations

from crewboard.database.engine import Database
from crewboard.database.migrate import current_revision, head_revision, migrate
from crewboard.database.sqlite import is_busy

__all__ = ["Database", "current_revision", "head_revision", "is_busy", "migrate"]
