"""Whole SQLite database files, through the driver: copy one (online backup API), and read
its integrity and schema revision. The rules around them live in the services (backup)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

BUSY_TIMEOUT_MS = 30_000


class SqliteFileError(Exception):
    """A SQLite file could not be read, checked or copied (the driver's message)."""


@contextlib.contextmanager
def _connect(path: Path, *, read_only: bool) -> Iterator[sqlite3.Connection]:
    uri = path.resolve().as_uri() + ("?mode=ro" if read_only else "")
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        yield conn
    finally:
        conn.close()


def inspect_file(path: Path) -> tuple[list[str], str | None]:
    """The file's ``integrity_check`` lines and its alembic revision (None if it has none)."""
    try:
        with _connect(path, read_only=True) as conn:
            rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check").fetchall()]
            if rows != ["ok"]:
                return rows, None
            has_version = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                ("alembic_version",),
            ).fetchone()
            revision = None
            if has_version and has_version[0]:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
            return rows, revision
    except sqlite3.DatabaseError as exc:
        raise SqliteFileError(str(exc)) from exc


def copy_file(source: Path, target: Path, *, read_only_source: bool) -> None:
    """Copy ``source`` into a new file ``target`` as one snapshot, self-contained (no -wal)."""
    try:
        with (
            _connect(source, read_only=read_only_source) as src,
            _connect(target, read_only=False) as dst,
        ):
            # pages=-1: the whole database in one step, i.e. one read transaction and one
            # snapshot; a stepwise copy restarts whenever another process writes.
            src.backup(dst, pages=-1)
            # A self-contained file: no -wal beside it to forget when copying it elsewhere.
            dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise SqliteFileError(str(exc)) from exc
