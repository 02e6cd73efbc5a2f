"""Interop: Claude Code files, repositories, project transfer (subpackages) and the demo.

Faces and other domains import from here, never from a module inside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crewboard.services.exports import lazy_exports

if TYPE_CHECKING:
    from crewboard.services.interop.demo import DemoLogin, seed_demo

EXPORTS = {
    "DemoLogin": "demo",
    "seed_demo": "demo",
}
__all__ = [
    "DemoLogin",
    "seed_demo",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_exports(__name__, EXPORTS)
