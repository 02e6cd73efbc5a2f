"""Schemas for messages and inboxes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from crewboard.schemas.common import RequestModel, ResponseModel
from crewboard.schemas.teams import TeamName
from crewboard.services.core import (
    ADDRESS_MAX,
    MAX_CURSOR_ID,
    MAX_LIMIT,
    MESSAGE_BODY_MAX,
    MESSAGE_SUMMARY_MAX,
    REQUEST_ID_MAX,
)

MessageId = Annotated[int, Field(ge=1, le=MAX_CURSOR_ID)]
# An agent's name or "@" and a member's e-mail; the service checks which.
Address = Annotated[str, StringConstraints(min_length=1, max_length=ADDRESS_MAX)]
SendKind = Literal[
    "message",
    "broadcast",
    "shutdown_request",
    "shutdown_response",
    "plan_approval_request",
    "plan_approval_response",
    "idle",
]


class MessageSend(RequestModel):
    """A message. ``to`` one recipient; a broadcast names its ``team`` instead. A reply
    without ``to`` goes to the sender of ``reply_to``; a response to its request's sender."""

    to: Address | None = None
    kind: SendKind = "message"
    body: Annotated[str, StringConstraints(max_length=MESSAGE_BODY_MAX)] = ""
    summary: Annotated[str, StringConstraints(max_length=MESSAGE_SUMMARY_MAX)] | None = None
    team: TeamName | None = None
    reply_to: MessageId | None = None
    request_id: (
        Annotated[str, StringConstraints(min_length=1, max_length=REQUEST_ID_MAX)] | None
    ) = None
    approve: bool | None = None


class MessageRead(ResponseModel):
    """A message and everyone it was delivered to."""

    id: int
    kind: str
    sender: str
    recipients: list[str]
    team: str | None
    body: str
    summary: str | None
    request_id: str | None
    reply_to: int | None
    approve: bool | None
    created_at: datetime


class InboxMessage(ResponseModel):
    """A message in an inbox, with when it was read and acknowledged there."""

    id: int
    kind: str
    sender: str
    team: str | None
    body: str
    summary: str | None
    request_id: str | None
    reply_to: int | None
    approve: bool | None
    created_at: datetime
    read_at: datetime | None
    acked_at: datetime | None


class InboxMark(RequestModel):
    """Mark messages of your inbox read: ``ids``, or every one up to ``up_to`` (inclusive)."""

    ids: Annotated[list[MessageId], Field(max_length=MAX_LIMIT)] = Field(default_factory=list)
    up_to: MessageId | None = None


class InboxMarked(ResponseModel):
    """How many messages were newly marked read."""

    marked: int
