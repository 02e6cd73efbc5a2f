"""``crewboard backup PATH`` and ``crewboard restore PATH``: whole SQLite database files.

Admin commands on the file of ``CREWBOARD_DATABASE_URL``. A backup is online (safe while a
server writes); a restore is for a stopped server. On PostgreSQL both refuse and name the
pg_dump/pg_restore command instead. See docs/backup.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crewboard.cli.admin.settings import load_settings
from crewboard.cli.output import emit_line, note
from crewboard.services.interop.transfer import backup_database, restore_database

ForceOption = Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists.")]
PathArg = Annotated[Path, typer.Argument(metavar="PATH", dir_okay=False)]


def backup_command(path: PathArg, force: ForceOption = False) -> None:
    """Copy the SQLite database to PATH: online, consistent, checked, written atomically.

    Safe while a server is writing. Refuses an existing PATH unless --force. On
    PostgreSQL, use pg_dump (the error names the command).
    """
    settings = load_settings()
    copy = backup_database(settings.database_url, path, force=force)
    emit_line(
        f"backed up to {copy.path}: {copy.size} bytes, schema revision {copy.revision}, "
        "integrity check ok"
    )


def restore_command(path: PathArg, force: ForceOption = False) -> None:
    """Replace the SQLite database with the backup at PATH. Stop the server first.

    The backup must pass an integrity check and be a crewboard database at a known
    schema revision. Refuses when the database file exists unless --force.
    """
    settings = load_settings()
    copy = restore_database(settings.database_url, path, force=force)
    emit_line(f"restored {copy.path} from {path}: schema revision {copy.revision}")
    if not copy.at_head:
        note("the backup's schema is older than this crewboard: run 'crewboard migrate'")
