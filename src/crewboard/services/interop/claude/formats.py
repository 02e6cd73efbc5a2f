"""Claude Code's agent-team files, parsed and written (pure functions, no I/O).

A tolerant reader: it accepts the documented shapes and the variants seen in the wild
(``teamName`` for ``name``, numeric ids, ``request_id`` for ``requestId`` …), and every
error names the file and the field. The writer emits exactly one documented shape.
The formats and their sources: docs/claude-code.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator

from crewboard.services.core import Invalid, check_agent_name
from crewboard.services.messages import Kind
from crewboard.services.tasks import Status

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Reserved task-metadata key: the Claude task id (and fields crewboard has no column for).
META_KEY = "claude"


class ClaudeFormatError(Invalid):
    """A Claude Code file crewboard cannot read; the message names the file and the field."""

    code = "claude-format"


def agent_value(value: object) -> object:
    """An agent name crewboard accepts (pydantic reports a ValueError with the field)."""
    if isinstance(value, str):
        try:
            check_agent_name(value)
        except Invalid as exc:
            raise ValueError(f"{value!r}: {exc.message}") from None
    return value


def _id(value: object) -> object:
    """Task ids are numeric strings; some writers store numbers."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class MemberFile(_Lenient):
    """One entry of ``members`` in ``config.json``."""

    name: str
    agentId: str | None = None  # noqa: N815 - the file's own spelling
    agentType: str | None = None  # noqa: N815
    joinedAt: int | None = None  # noqa: N815
    color: str | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> object:
        return agent_value(value)


class ConfigFile(_Lenient):
    """``teams/NAME/config.json``."""

    name: str | None = Field(None, validation_alias=AliasChoices("name", "teamName"))
    description: str = ""
    createdAt: int | None = None  # noqa: N815
    leadAgentId: str | None = None  # noqa: N815
    members: list[MemberFile] = []


class TaskFile(_Lenient):
    """``tasks/NAME/ID.json``."""

    id: str
    subject: str = Field(validation_alias=AliasChoices("subject", "title"))
    description: str = ""
    activeForm: str | None = None  # noqa: N815
    status: str = "pending"
    owner: str | None = None
    blocks: list[str] = []
    blockedBy: list[str] = Field(  # noqa: N815
        [], validation_alias=AliasChoices("blockedBy", "blocked_by")
    )
    metadata: dict[str, Any] | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _check_id(cls, value: object) -> object:
        return _id(value)

    @field_validator("blocks", "blockedBy", mode="before")
    @classmethod
    def _check_ids(cls, value: object) -> object:
        return [_id(i) for i in value] if isinstance(value, list) else value

    @field_validator("owner", mode="before")
    @classmethod
    def _check_owner(cls, value: object) -> object:
        return agent_value(value or None)


class InboxEntryFile(_Lenient):
    """One message of ``teams/NAME/inboxes/AGENT.json`` (a JSON array of these)."""

    sender: str = Field(validation_alias=AliasChoices("from", "sender"))
    text: str = Field(validation_alias=AliasChoices("text", "content", "message"))
    timestamp: str | int
    read: bool = False
    summary: str | None = None
    color: str | None = None

    @field_validator("sender")
    @classmethod
    def _check_sender(cls, value: str) -> object:
        return agent_value(value)


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], raw: object, where: str) -> M:
    """``raw`` as ``model``; the first problem as one line naming ``where`` and the field."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ClaudeFormatError(f"{where}: {field}: {message}") from None


def load_json(text: str, where: str) -> object:
    """Parse a file's text; malformed JSON is a one-line error naming the file."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"not valid JSON ({exc.msg} at line {exc.lineno})"
        raise ClaudeFormatError(f"{where}: {problem}") from None


def dump_json(data: object) -> str:
    """How Claude Code writes its files: ``JSON.stringify(data, null, 2)``."""
    return json.dumps(data, indent=2, ensure_ascii=False)


# -- time -----------------------------------------------------------------------------------


def from_millis(value: int) -> datetime:
    """Epoch milliseconds (``createdAt``, ``joinedAt``) as an exact UTC datetime."""
    return EPOCH + timedelta(milliseconds=value)


def to_millis(value: datetime) -> int:
    """A datetime as epoch milliseconds (exact for the values ``from_millis`` made)."""
    return (value - EPOCH) // timedelta(milliseconds=1)


def parse_timestamp(value: str | int, where: str) -> datetime:
    """An inbox timestamp: ISO 8601 (``2026-02-11T08:27:54.622Z``) or epoch milliseconds."""
    if isinstance(value, int):
        return from_millis(value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ClaudeFormatError(f"{where}: timestamp: not an ISO 8601 time: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(value: datetime) -> str:
    """A timestamp the way Claude Code writes them: UTC, milliseconds, ``Z``."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# -- team config ----------------------------------------------------------------------------


def lead_of(config: ConfigFile) -> str | None:
    """The lead's name: from ``leadAgentId`` (``name@team``), else a ``team-lead`` member."""
    if config.leadAgentId:
        name = config.leadAgentId.split("@", 1)[0]
        if any(m.name == name for m in config.members):
            return name
    for member in config.members:
        if member.agentType == "team-lead":
            return member.name
    return None


def canonical_config(config: ConfigFile) -> dict[str, Any]:
    """The config in the documented shape (``name``, not ``teamName``), unknown keys kept."""
    data = config.model_dump(exclude_unset=True, by_alias=False)
    data["members"] = [m.model_dump(exclude_unset=True) for m in config.members]
    return data


# -- tasks ----------------------------------------------------------------------------------


def task_status(task: TaskFile, where: str) -> Status:
    """Claude's status as crewboard's: ``deleted`` is ``cancelled``."""
    # Claude has no blocked status; it says deleted for cancelled (crewboard's own name is
    # taken too).
    names = {s.value: s for s in Status if s is not Status.BLOCKED} | {"deleted": Status.CANCELLED}
    if task.status not in names:
        raise ClaudeFormatError(
            f"{where}: status: {task.status!r} is not pending, in_progress, completed or deleted"
        )
    return names[task.status]


def task_extra(task: TaskFile) -> dict[str, Any]:
    """Keys of a task file crewboard has no column for (kept in metadata, written back)."""
    return dict(task.model_extra or {})


def claude_status(status: str, owner: str | None) -> str:
    """crewboard's status as Claude's: cancelled is ``deleted``; blocked is the status it
    would have without the block (in progress while someone holds it)."""
    if status == Status.CANCELLED.value:
        return "deleted"
    if status == Status.BLOCKED.value:
        return "in_progress" if owner else "pending"
    return status


@dataclass(frozen=True, slots=True)
class TaskOut:
    """What a task file is written from."""

    claude_id: str
    subject: str
    description: str
    active_form: str | None
    status: str
    owner: str | None
    blocks: list[str]
    blocked_by: list[str]
    metadata: dict[str, Any]
    blocked_reason: str | None = None
    needs_agent: str | None = None


# Claude Code has no blocked status: a blocked task is written with the status it would have
# without the block, and these two keys (which Claude Code's readers ignore, and crewboard's
# import reads back as the block).
BLOCK_KEYS = ("blockedReason", "needsAgent")


def task_file(task: TaskOut) -> dict[str, Any]:
    """A task file in the documented shape; metadata only when there is some."""
    meta = {k: v for k, v in task.metadata.items() if k != META_KEY}
    kept = task.metadata.get(META_KEY)
    extra = kept.get("extra", {}) if isinstance(kept, dict) else {}
    data: dict[str, Any] = {
        "id": task.claude_id,
        "subject": task.subject,
        "description": task.description,
    }
    if task.active_form is not None:  # an empty one too: Claude Code writes it
        data["activeForm"] = task.active_form
    data["status"] = claude_status(task.status, task.owner)
    if task.owner:
        data["owner"] = task.owner
    data["blocks"] = sorted(task.blocks, key=id_order)
    data["blockedBy"] = sorted(task.blocked_by, key=id_order)
    if task.status == Status.BLOCKED.value:
        data["blockedReason"] = task.blocked_reason or ""
        if task.needs_agent:
            data["needsAgent"] = task.needs_agent
    if meta:
        data["metadata"] = meta
    for key, value in extra.items() if isinstance(extra, dict) else ():
        if key not in BLOCK_KEYS:
            data.setdefault(key, value)
    return data


def id_order(claude_id: str) -> tuple[int, str]:
    """Numeric ids in numeric order ("2" before "10")."""
    return (int(claude_id), "") if claude_id.isdigit() else (1 << 62, claude_id)


# -- inbox messages -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Protocol:
    """A message's crewboard kind, and what a protocol message says."""

    kind: Kind
    body: str
    request_id: str | None = None
    approve: bool | None = None


def _str(data: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str):
            return value
    return None


def _bool(data: dict[str, Any], *keys: str) -> bool | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, bool):
            return value
    return None


def protocol_of(text: str, where: str) -> Protocol:
    """Read a message's text: a JSON object with a known ``type`` is a protocol message."""
    data: object = None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            data = None  # text that merely starts with a brace is an ordinary message
    if not isinstance(data, dict):
        return Protocol(Kind.MESSAGE, text)
    kind = data.get("type")
    request_id = _str(data, "requestId", "request_id")
    reason = _str(data, "reason", "content", "feedback") or ""
    if kind == "shutdown_request":
        return Protocol(Kind.SHUTDOWN_REQUEST, reason, _need(request_id, where))
    if kind in ("shutdown_approved", "shutdown_rejected", "shutdown_response"):
        approve = kind == "shutdown_approved" or (
            kind == "shutdown_response" and _bool(data, "approve", "approved") is True
        )
        return Protocol(Kind.SHUTDOWN_RESPONSE, reason, _need(request_id, where), approve)
    if kind == "plan_approval_request":
        plan = _str(data, "planContent", "plan", "content") or ""
        return Protocol(Kind.PLAN_APPROVAL_REQUEST, plan, _need(request_id, where))
    if kind == "plan_approval_response":
        approve = bool(_bool(data, "approved", "approve"))
        return Protocol(Kind.PLAN_APPROVAL_RESPONSE, reason, _need(request_id, where), approve)
    if kind == "idle_notification":
        return Protocol(Kind.IDLE, f"idle ({_str(data, 'idleReason') or 'available'})")
    if kind == "task_assignment":
        subject = _str(data, "subject") or ""
        return Protocol(Kind.TASK_ASSIGNMENT, f"task {data.get('taskId')} assigned: {subject}")
    return Protocol(Kind.MESSAGE, text)


def _need(request_id: str | None, where: str) -> str:
    if not request_id:
        raise ClaudeFormatError(f"{where}: text: a protocol message without a requestId")
    if len(request_id) > 64:
        raise ClaudeFormatError(f"{where}: text: requestId is longer than 64 characters")
    return request_id


def canonical_entry(entry: InboxEntryFile, at: datetime) -> dict[str, Any]:
    """An inbox entry in the documented shape, without ``read`` (a delivery's state)."""
    data: dict[str, Any] = {"from": entry.sender, "text": entry.text}
    if entry.summary is not None:
        data["summary"] = entry.summary
    data["timestamp"] = entry.timestamp if isinstance(entry.timestamp, str) else iso(at)
    if entry.color is not None:
        data["color"] = entry.color
    data.update(entry.model_extra or {})
    return data


@dataclass(frozen=True, slots=True)
class MessageOut:
    """What a message crewboard wrote itself becomes in an inbox."""

    sender: str
    kind: str
    body: str
    summary: str | None
    request_id: str | None
    approve: bool | None
    created_at: datetime
    color: str | None


def protocol_text(m: MessageOut) -> str:
    """The text of a message in Claude Code's shape (JSON for the protocol kinds)."""
    at = iso(m.created_at)
    if m.kind == Kind.SHUTDOWN_REQUEST.value:
        data: dict[str, Any] = {
            "type": "shutdown_request",
            "requestId": m.request_id,
            "from": m.sender,
            "reason": m.body,
            "timestamp": at,
        }
    elif m.kind == Kind.SHUTDOWN_RESPONSE.value and m.approve:
        data = {
            "type": "shutdown_approved",
            "requestId": m.request_id,
            "from": m.sender,
            "timestamp": at,
            # Claude Code's model requires both; a crewboard agent has no pane of its own,
            # which Claude Code writes for its in-process teammates as below.
            "paneId": "in-process",
            "backendType": "in-process",
        }
    elif m.kind == Kind.SHUTDOWN_RESPONSE.value:
        data = {
            "type": "shutdown_rejected",
            "requestId": m.request_id,
            "from": m.sender,
            "reason": m.body,
            "timestamp": at,
        }
    elif m.kind == Kind.PLAN_APPROVAL_REQUEST.value:
        data = {
            "type": "plan_approval_request",
            "from": m.sender,
            "timestamp": at,
            "planFilePath": "",
            "planContent": m.body,
            "requestId": m.request_id,
        }
    elif m.kind == Kind.PLAN_APPROVAL_RESPONSE.value:
        data = {
            "type": "plan_approval_response",
            "requestId": m.request_id,
            "approved": bool(m.approve),
            "timestamp": at,
        }
        if m.body:
            data["feedback"] = m.body
    elif m.kind == Kind.IDLE.value:
        data = {
            "type": "idle_notification",
            "from": m.sender,
            "timestamp": at,
            "idleReason": "available",
        }
    else:
        return m.body
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def inbox_entry(m: MessageOut, read: bool) -> dict[str, Any]:
    """An inbox entry for a message written in crewboard."""
    data: dict[str, Any] = {"from": m.sender, "text": protocol_text(m)}
    if m.summary:
        data["summary"] = m.summary
    data["timestamp"] = iso(m.created_at)
    if m.color:
        data["color"] = m.color
    data["read"] = read
    return data
