# ruff: noqa: N815 - the argument names are Claude Code's (taskId, activeForm, blockedBy)
"""Arguments of the MCP tools (Claude Code's names), and their compact JSON schemas.

Only shapes are checked here; every rule (lengths, names, states) is the services'. The list
sizes advertised are the services' own limits, imported, so a client is never told it may
send more than the service takes. The schemas sent in ``tools/list`` are generated from these
models and stripped of what only costs tokens (titles, ``null`` alternatives, ``null``
defaults).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from crewboard.services.core import ID_MAX, TEAM_MEMBERS_PER_CALL
from crewboard.services.tasks import (
    CLAUDE_STATUS_NAMES,
    FILES_MAX,
    MAX_LINKS_PER_CALL,
    MAX_TASK_LINKS,
)

# Pages of MCP answers are smaller than the REST ones (MAX_LIMIT): an agent pays for each token.
PAGE_MAX = 100


def _task_id(value: object) -> object:
    """A task number as Claude Code sends it: ``"12"``, ``12`` or ``"#12"``."""
    if isinstance(value, str):
        text = value.strip().removeprefix("#")
        if text.isdigit():
            return int(text)
        raise ValueError("a task id is a task number, like '12'")
    if isinstance(value, bool):
        raise ValueError("a task id is a task number, like '12'")
    return value


TaskId = Annotated[
    int,
    BeforeValidator(_task_id),
    Field(ge=1, le=ID_MAX),
    WithJsonSchema({"type": ["string", "integer"]}),
]
if TYPE_CHECKING:
    Status = str
else:  # Claude Code's names, from the tasks service, as an enum in the JSON schema
    Status = Literal[CLAUDE_STATUS_NAMES]
Priority = Annotated[int, Field(ge=0, le=3, description="0 (P0, most urgent) to 3; default 2")]
Limit = Annotated[int, Field(ge=1, le=PAGE_MAX)]


class Args(BaseModel):
    """Tool arguments: unknown names are refused (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TeamCreateArgs(Args):
    team_name: str
    description: str = ""
    members: list[str] = Field(
        default_factory=list,
        max_length=TEAM_MEMBERS_PER_CALL,
        description="roster agents; you lead the team",
    )


class TeamDeleteArgs(Args):
    team_name: str


class TaskCreateArgs(Args):
    subject: str
    description: str = ""
    activeForm: str | None = None
    metadata: dict[str, Any] | None = None
    priority: Priority = 2
    tracker: str | None = Field(None, description="agent whose tracker it goes on")
    team_name: str | None = None
    blockedBy: list[TaskId] = Field(default_factory=list, max_length=MAX_LINKS_PER_CALL)
    followUpOf: TaskId | None = Field(None, description="the task this follows up (with tracker)")


class TaskListArgs(Args):
    team_name: str | None = None
    tracker: str | None = None
    owner: str | None = None
    status: Status | None = None
    ready: bool = Field(False, description="only ready tasks, most urgent first")
    cursor: str | None = None
    limit: Limit = 50


class TaskGetArgs(Args):
    taskId: TaskId


class TaskUpdateArgs(Args):
    taskId: TaskId
    subject: str | None = None
    description: str | None = None
    activeForm: str | None = None
    status: Status | None = None
    owner: str | None = Field(None, description="yourself on an unowned task claims it")
    addBlocks: list[TaskId] = Field(default_factory=list, max_length=MAX_LINKS_PER_CALL)
    addBlockedBy: list[TaskId] = Field(default_factory=list, max_length=MAX_LINKS_PER_CALL)
    metadata: dict[str, Any] | None = Field(None, description="merged; null deletes a key")
    blockedReason: str | None = None
    needsAgent: str | None = None
    outcome: str | None = Field(None, description="one line, with status completed")
    files: list[str] | None = Field(None, max_length=FILES_MAX)
    verified: str | None = None
    version: int | None = Field(None, ge=1, le=ID_MAX, description="refuse if changed since")


class TaskClaimArgs(Args):
    taskId: TaskId | None = Field(None, description="default: the best ready task")
    team_name: str | None = None


class SendMessageArgs(Args):
    to: str | None = Field(None, description='agent name, "@email", or "*" for your team')
    message: str | dict[str, Any] | None = Field(
        None, description="text, or a protocol message {type, request_id?, approve?, content?}"
    )
    summary: str | None = None
    team_name: str | None = None
    # The older form.
    type: str | None = None
    recipient: str | None = None
    content: str | None = None
    request_id: str | None = None
    approve: bool | None = None


class InboxReadArgs(Args):
    unread_only: bool = True
    mark_read: bool = True
    cursor: str | None = None
    limit: Limit = 20


class TrackerReadArgs(Args):
    agent: str | None = Field(None, description="default: yours")


class ChangelogAppendArgs(Args):
    title: str
    problem: str
    fix: str
    files: list[str] = Field(max_length=FILES_MAX)
    verified: str
    taskIds: list[TaskId] = Field(default_factory=list, max_length=MAX_TASK_LINKS)


def compact_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema without titles, ``null`` alternatives or ``null`` defaults."""
    schema = _compact(model.model_json_schema())
    assert isinstance(schema, dict)
    schema.pop("description", None)
    schema.pop("additionalProperties", None)
    return schema


def _compact(node: object) -> object:
    if isinstance(node, list):
        return [_compact(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "default" and value in (None, [], ""):
            continue
        out[key] = (
            _compact(value)
            if key != "properties"
            else {name: _compact(prop) for name, prop in value.items()}
        )
    options = out.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1 and isinstance(kept[0], dict):
            del out["anyOf"]
            out = {**kept[0], **out}
        else:
            out["anyOf"] = kept
    return out
