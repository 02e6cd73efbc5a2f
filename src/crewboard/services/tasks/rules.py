"""The task state machine and the checks on task fields, shared by every task operation."""

from __future__ import annotations

import json
from enum import StrEnum

from crewboard.services.core import Invalid, check_text

TITLE_MAX = 500
DESCRIPTION_MAX = 20_000
ACTIVE_FORM_MAX = 500
REASON_MAX = 2000
OUTCOME_MAX = 1000
VERIFIED_MAX = 1000
FILES_MAX = 100
FILE_MAX = 500
METADATA_MAX_KEYS = 50
METADATA_MAX_BYTES = 16_384
METADATA_MAX_DEPTH = 16  # lists/objects within a value (responses cannot serialise deep ones)
MAX_LINKS_PER_CALL = 50  # dependencies added by one call
CHANGELOG_TITLE_MAX = 300
BODY_MAX = 20_000  # a changelog entry's problem, fix and verification
MAX_TASK_LINKS = 50  # tasks linked to one changelog entry


class Status(StrEnum):
    """Where a task stands. ``deleted`` (Claude Code) is stored as ``cancelled``."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# The status names a caller may send: every status, and Claude Code's ``deleted`` (stored as
# cancelled). The schemas' enums are built from these, in this order.
STATUS_NAMES: tuple[str, ...] = (*(s.value for s in Status), "deleted")
# Claude Code's vocabulary (MCP): ``deleted`` stands for cancelled.
CLAUDE_STATUS_NAMES: tuple[str, ...] = tuple(n for n in STATUS_NAMES if n != Status.CANCELLED)

# Finished tasks may only be reopened (to pending); everything else moves freely, subject to
# what the target status requires (see check_transition).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset(
        {Status.IN_PROGRESS, Status.BLOCKED, Status.COMPLETED, Status.CANCELLED}
    ),
    Status.IN_PROGRESS: frozenset(
        {Status.PENDING, Status.BLOCKED, Status.COMPLETED, Status.CANCELLED}
    ),
    Status.BLOCKED: frozenset(
        {Status.PENDING, Status.IN_PROGRESS, Status.COMPLETED, Status.CANCELLED}
    ),
    Status.COMPLETED: frozenset({Status.PENDING}),
    Status.CANCELLED: frozenset({Status.PENDING}),
}

# A blocker no longer holds its dependants back once it is done or dropped.
RESOLVED = (Status.COMPLETED.value, Status.CANCELLED.value)


def parse_status(value: str) -> Status:
    """A status name; ``deleted`` is accepted as ``cancelled``."""
    if value == "deleted":
        return Status.CANCELLED
    try:
        return Status(value)
    except ValueError:
        names = ", ".join(s.value for s in Status)
        raise Invalid(f"unknown status {value!r}; use one of {names}", field="status") from None


def check_transition(current: Status, target: Status) -> None:
    """Refuse a move the state machine does not allow."""
    if target != current and target not in TRANSITIONS[current]:
        raise Invalid(
            f"a {current.value} task cannot become {target.value}"
            + (" (reopen it to pending first)" if current in (Status.COMPLETED,) else ""),
            code="bad-transition",
            field="status",
        )


def check_priority(priority: int) -> int:
    """P0 (most urgent) to P3."""
    if not 0 <= priority <= 3:
        raise Invalid("priority is 0 (P0, most urgent) to 3", field="priority")
    return priority


def check_files(files: list[str]) -> list[str]:
    """A bounded list of file paths (duplicates dropped, order kept)."""
    if len(files) > FILES_MAX:
        raise Invalid(f"at most {FILES_MAX} files", field="files")
    cleaned = [check_text(f, "files", FILE_MAX) for f in files]
    return list(dict.fromkeys(cleaned))


def check_title(title: str) -> str:
    """A one-line title."""
    title = check_text(title, "title", TITLE_MAX)
    if "\n" in title:
        raise Invalid("a title is one line", field="title")
    return title


def check_one_line(value: str, field: str, max_len: int) -> str:
    """A one-line text (tracker lines are one line each)."""
    value = check_text(value, field, max_len)
    if "\n" in value:
        raise Invalid(f"{field} is one line", field=field)
    return value


def merge_metadata(current: dict[str, object], patch: dict[str, object]) -> dict[str, object]:
    """Claude Code's rule: keys are merged, a null value deletes the key."""
    merged = dict(current)
    for key, value in patch.items():
        if not isinstance(key, str) or not 0 < len(key) <= 100:
            raise Invalid("metadata keys are 1-100 character strings", field="metadata")
        if _nesting(value) > METADATA_MAX_DEPTH:
            raise Invalid(
                f"metadata values nest at most {METADATA_MAX_DEPTH} levels", field="metadata"
            )
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > METADATA_MAX_KEYS:
        raise Invalid(f"metadata holds at most {METADATA_MAX_KEYS} keys", field="metadata")
    try:
        # Standard JSON only: NaN and Infinity (1e999 too) are not JSON; PostgreSQL refuses
        # them (a 500) and SQLite would store what no JSON reader takes.
        text = json.dumps(merged, default=str, allow_nan=False, ensure_ascii=False)
    except ValueError as exc:
        raise Invalid(
            "metadata holds a number JSON cannot carry (NaN, Infinity)", field="metadata"
        ) from exc
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise Invalid(
            "metadata holds text that is not Unicode (a lone surrogate)", field="metadata"
        ) from None
    if size > METADATA_MAX_BYTES:
        raise Invalid(f"metadata is at most {METADATA_MAX_BYTES} bytes of JSON", field="metadata")
    return merged


def _nesting(value: object) -> int:
    """How deep lists and objects nest in a JSON value (1 for ``[1]``); without recursion."""
    depth = 0
    level = [value] if isinstance(value, dict | list) else []
    while level:
        depth += 1
        children: list[object] = []
        for item in level:
            if isinstance(item, dict):
                children.extend(item.values())
            elif isinstance(item, list):
                children.extend(item)
        level = [c for c in children if isinstance(c, dict | list)]
    return depth
