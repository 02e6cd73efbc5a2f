"""Messages: send, inbox and read cursors, retention.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.messages.inbox import InboxItem, InboxService
    from crewboard.services.messages.retention import prune_messages
    from crewboard.services.messages.service import MessageService, MessageView, Outgoing
    from crewboard.services.messages.store import (
        BODY_MAX,
        SUMMARY_MAX,
        SYSTEM_SENDER,
        Kind,
        address_of,
        deliver,
        is_agent_address,
        notify,
    )

EXPORTS = {
    "BODY_MAX": "store",
    "InboxItem": "inbox",
    "InboxService": "inbox",
    "Kind": "store",
    "MessageService": "service",
    "MessageView": "service",
    "Outgoing": "service",
    "SUMMARY_MAX": "store",
    "SYSTEM_SENDER": "store",
    "address_of": "store",
    "deliver": "store",
    "is_agent_address": "store",
    "notify": "store",
    "prune_messages": "retention",
}
__all__ = [
    "BODY_MAX",
    "SUMMARY_MAX",
    "SYSTEM_SENDER",
    "InboxItem",
    "InboxService",
    "Kind",
    "MessageService",
    "MessageView",
    "Outgoing",
    "address_of",
    "deliver",
    "is_agent_address",
    "notify",
    "prune_messages",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
