"""Keyset pagination with opaque cursors."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from crewboard.services.core.errors import Invalid
from crewboard.services.core.rules import ID_MAX

T = TypeVar("T")

MAX_LIMIT = 200
CURSOR_MAX = 200  # characters of an opaque cursor
# Ids are 32-bit on PostgreSQL (``integer``): a larger cursor would fail in the driver.
MAX_CURSOR_ID = ID_MAX


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results and the cursor of the next one (None on the last page)."""

    items: list[T]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    """The cursor that continues after the row with this id."""
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor continues after; a malformed cursor is an error, not page one."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "id":
            raise ValueError(prefix)
        last_id = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Invalid("malformed cursor", code="invalid-cursor") from exc
    if not 0 <= last_id <= MAX_CURSOR_ID:
        raise Invalid("malformed cursor", code="invalid-cursor")
    return last_id


def page_of(rows: Sequence[T], limit: int, key: Callable[[T], int]) -> Page[T]:
    """Build a page from up to ``limit + 1`` fetched rows (the extra one says there is more)."""
    items = list(rows[:limit])
    more = len(rows) > limit and bool(items)
    return Page(items, encode_cursor(key(items[-1])) if more else None)


def check_limit(limit: int) -> int:
    """Validate a page size."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def encode_key(*parts: int) -> str:
    """A cursor for a composite sort key (e.g. priority, id)."""
    raw = "k:" + ",".join(str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_key(cursor: str, size: int) -> tuple[int, ...]:
    """The sort key a cursor continues after; it must have ``size`` parts."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, body = raw.partition(":")
        parts = tuple(int(p) for p in body.split(","))
        if prefix != "k" or len(parts) != size or any(not 0 <= p < 2**63 for p in parts):
            raise ValueError(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Invalid("malformed cursor", code="invalid-cursor") from exc
    return parts
