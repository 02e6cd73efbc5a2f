"""Schemas for webhooks and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from crewboard.schemas.common import RequestModel, ResponseModel
from crewboard.services.webhooks import (
    WEBHOOK_KIND_MAX,
    WEBHOOK_KIND_PATTERN,
    WEBHOOK_KINDS_MAX,
    WEBHOOK_URL_MAX,
)

WebhookUrl = Annotated[str, StringConstraints(min_length=1, max_length=WEBHOOK_URL_MAX)]
EventKind = Annotated[
    str, StringConstraints(pattern=WEBHOOK_KIND_PATTERN, max_length=WEBHOOK_KIND_MAX)
]
Kinds = Annotated[list[EventKind], Field(max_length=WEBHOOK_KINDS_MAX)]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookCreate(RequestModel):
    """A new webhook: where to POST, which event kinds (prefixes; none: every kind)."""

    url: WebhookUrl
    kinds: Kinds = Field(default_factory=list)
    active: bool = True


class WebhookUpdate(RequestModel):
    """Change the URL, the kinds or the active flag; ``rotate_secret`` draws a new secret."""

    url: WebhookUrl | None = None
    kinds: Kinds | None = None
    active: bool | None = None
    rotate_secret: bool = False


class WebhookRead(ResponseModel):
    """A webhook; ``secret`` only in the answer that created or rotated it."""

    id: int
    url: str
    kinds: list[str]
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    secret: str | None = None


class WebhookDeleted(ResponseModel):
    """A deleted webhook (its secret and delivery log went with it)."""

    id: int


class PingQueued(ResponseModel):
    """A ``webhook.ping`` event was recorded; the job delivers it like any event."""

    id: int
    kind: str


class DeliveryRead(ResponseModel):
    """One event for one webhook, and how sending it went."""

    id: int
    event_id: int
    kind: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
