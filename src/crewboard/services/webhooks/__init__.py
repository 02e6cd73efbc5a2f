"""Webhooks: endpoints, the outbox and its deliveries.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.webhooks.outbox import (
        Outcome,
        Outgoing,
        claim,
        enqueue,
        finish,
        has_new_events,
    )
    from crewboard.services.webhooks.rules import (
        PING_KIND,
        WEBHOOK_KIND_MAX,
        WEBHOOK_KIND_PATTERN,
        WEBHOOK_KINDS_MAX,
        WEBHOOK_URL_MAX,
    )
    from crewboard.services.webhooks.service import DeliveryView, WebhookService
    from crewboard.services.webhooks.targets import BlockedTarget, checked_addresses

EXPORTS = {
    "BlockedTarget": "targets",
    "checked_addresses": "targets",
    "DeliveryView": "service",
    "Outcome": "outbox",
    "Outgoing": "outbox",
    "PING_KIND": "rules",
    "WEBHOOK_KINDS_MAX": "rules",
    "WEBHOOK_KIND_MAX": "rules",
    "WEBHOOK_KIND_PATTERN": "rules",
    "WEBHOOK_URL_MAX": "rules",
    "WebhookService": "service",
    "claim": "outbox",
    "enqueue": "outbox",
    "finish": "outbox",
    "has_new_events": "outbox",
}
__all__ = [
    "PING_KIND",
    "WEBHOOK_KINDS_MAX",
    "WEBHOOK_KIND_MAX",
    "WEBHOOK_KIND_PATTERN",
    "WEBHOOK_URL_MAX",
    "BlockedTarget",
    "DeliveryView",
    "Outcome",
    "Outgoing",
    "WebhookService",
    "checked_addresses",
    "claim",
    "enqueue",
    "finish",
    "has_new_events",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
