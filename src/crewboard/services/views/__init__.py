"""Read models for people: the dashboard and its statistics.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.views.dashboard import DashboardService, Graph
    from crewboard.services.views.stats import StatsService, Throughput

EXPORTS = {
    "DashboardService": "dashboard",
    "Graph": "dashboard",
    "StatsService": "stats",
    "Throughput": "stats",
}
__all__ = [
    "DashboardService",
    "Graph",
    "StatsService",
    "Throughput",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
