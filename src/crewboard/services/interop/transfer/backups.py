"""Backups and restores of a SQLite database file (PostgreSQL has pg_dump and pg_restore).

A backup uses SQLite's online backup API in one step: it reads one consistent snapshot
while the server goes on writing (WAL readers never block writers), into a temporary file
beside the target, checks it with ``PRAGMA integrity_check``, then renames it into place.
A restore checks the file the same way, and that it is a crewboard database at a migration
this code knows, then swaps it in atomically. It is for a stopped server.
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url

from crewboard.database.migrate import alembic_config, head_revision
from crewboard.database.sqlite_files import SqliteFileError, copy_file, inspect_file
from crewboard.services.core import Conflict, Invalid, NotFound

logger = logging.getLogger(__name__)

DOCS = "docs/operations.md#backups"


@dataclass(frozen=True, slots=True)
class Copy:
    """A checked database file: where it is, its size and its schema revision."""

    path: Path
    size: int
    revision: str
    at_head: bool


def sqlite_file(database_url: str, *, tool: str) -> Path:
    """The SQLite file of ``database_url``; PostgreSQL is refused with the command to use."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise Invalid(_postgres_advice(url, tool), field="database_url")
    if not url.database or url.database == ":memory:":
        raise Invalid("the database URL names no SQLite file", field="database_url")
    return Path(url.database).expanduser()


def _postgres_advice(url: URL, tool: str) -> str:
    name = url.database or "DBNAME"
    if tool == "backup":
        how = f"pg_dump --format=custom --file=crewboard.dump {name}"
    else:
        how = f"pg_restore --clean --if-exists --dbname={name} crewboard.dump"
    return f"crewboard {tool} works on SQLite files only; on PostgreSQL use {how} (see {DOCS})"


def _temporary(beside: Path) -> Path:
    return beside.with_name(f".{beside.name}.{uuid.uuid4().hex[:8]}.tmp")


def check_file(path: Path) -> Copy:
    """Refuse a file that is not a sound crewboard database at a known migration."""
    if not path.is_file():
        raise NotFound(f"no file {path}")
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    try:
        rows, revision = inspect_file(path)
    except SqliteFileError as exc:
        raise Invalid(f"{path} is not a usable SQLite database: {exc}", field="file") from exc
    if rows != ["ok"]:
        problem = "; ".join(rows[:3])
        raise Invalid(f"{path} fails its integrity check: {problem}", field="file")
    if revision is None:
        raise Invalid(f"{path} is not a crewboard database (no schema revision)", field="file")
    if revision not in known:
        raise Invalid(
            f"{path} is at schema revision {revision}, which this crewboard does not know "
            "(made by a newer version?)",
            field="file",
        )
    return Copy(path, path.stat().st_size, revision, revision == head_revision())


def _fsync(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _refuse_existing(path: Path, force: bool, what: str) -> None:
    if path.exists() and not force:
        raise Conflict(f"{what} {path} exists; pass --force to overwrite it", code="exists")
    if path.exists() and not path.is_file():
        raise Invalid(f"{path} is not a file", field="path")


def _owner_only(path: Path) -> None:
    """Create ``path`` empty, readable by its owner only, before SQLite fills it: a database
    holds password and token hashes and webhook secrets, whatever the umask says."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _copy(source: Path, target: Path) -> None:
    """Copy ``source`` into ``target`` through a checked temporary file and a rename."""
    if not target.parent.is_dir():
        raise NotFound(f"no folder {target.parent}")
    temporary = _temporary(target)
    try:
        _owner_only(temporary)
        copy_file(source, temporary, read_only_source=False)
        check_file(temporary)
        _fsync(temporary)
        os.replace(temporary, target)
        _fsync(target.parent, directory=True)
    finally:
        temporary.unlink(missing_ok=True)


def backup_database(database_url: str, target: Path, *, force: bool = False) -> Copy:
    """Copy the live database of ``database_url`` to ``target`` (checked, atomic)."""
    source = sqlite_file(database_url, tool="backup")
    if not source.is_file():
        raise NotFound(f"no database file {source}")
    target = target.expanduser()
    if target.resolve() == source.resolve():
        raise Invalid("the backup cannot be the database file itself", field="path")
    _refuse_existing(target, force, "backup file")
    try:
        _copy(source, target)
    except SqliteFileError as exc:
        raise Invalid(f"cannot back up {source}: {exc}", field="database_url") from exc
    logger.info("backed up %s to %s", source, target)
    return check_file(target)


def restore_database(database_url: str, backup_file: Path, *, force: bool = False) -> Copy:
    """Put ``backup_file`` in place of the database of ``database_url`` (server stopped)."""
    target = sqlite_file(database_url, tool="restore")
    backup_file = backup_file.expanduser()
    check_file(backup_file)
    if target.exists() and target.resolve() == backup_file.resolve():
        raise Invalid("the backup is the database file itself", field="path")
    _refuse_existing(target, force, "database file")
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(target)
    try:
        _owner_only(temporary)
        copy_file(backup_file, temporary, read_only_source=True)
        check_file(temporary)
        _fsync(temporary)
        # The old database's WAL must not be replayed onto the restored file.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(temporary, target)
        _fsync(target.parent, directory=True)
    except SqliteFileError as exc:
        raise Invalid(f"cannot restore {backup_file}: {exc}", field="file") from exc
    finally:
        temporary.unlink(missing_ok=True)
    logger.info("restored %s from %s", target, backup_file)
    return check_file(target)
