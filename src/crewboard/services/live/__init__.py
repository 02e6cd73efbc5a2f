"""The live event bus: what SSE streams and waiting readers are woken by.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.live.bus import (
        BATCH,
        EventBus,
        EventFilter,
        LiveEvent,
        Subscription,
        replay,
    )

EXPORTS = {
    "BATCH": "bus",
    "EventBus": "bus",
    "EventFilter": "bus",
    "LiveEvent": "bus",
    "Subscription": "bus",
    "replay": "bus",
}
__all__ = [
    "BATCH",
    "EventBus",
    "EventFilter",
    "LiveEvent",
    "Subscription",
    "replay",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
