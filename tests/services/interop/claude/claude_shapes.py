"""What Claude Code's own readers require of its team files (its config, task and inbox
models, as documented by Claude Code and reproduced by ``cs50victor/claude-code-teams-mcp``),
checked field by field. Written from the format, not from crewboard's export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STATUSES = {"pending", "in_progress", "completed", "deleted"}


def _has(data: dict[str, Any], where: str, **kinds: type | tuple[type, ...]) -> None:
    for key, kind in kinds.items():
        assert key in data, f"{where}: {key} is required"
        assert isinstance(data[key], kind), f"{where}: {key} is {type(data[key]).__name__}"


def _may(data: dict[str, Any], where: str, **kinds: type | tuple[type, ...]) -> None:
    for key, kind in kinds.items():
        if key in data:
            assert isinstance(data[key], kind), f"{where}: {key} is {type(data[key]).__name__}"


def check_config(data: dict[str, Any], where: str) -> None:
    _has(data, where, name=str, createdAt=int, leadAgentId=str, leadSessionId=str, members=list)
    _may(data, where, description=str)
    for member in data["members"]:
        _has(member, where, agentId=str, name=str, agentType=str, model=str, joinedAt=int, cwd=str)
        if "prompt" in member:  # a teammate
            _has(member, where, prompt=str, color=str, tmuxPaneId=str)
            _may(member, where, planModeRequired=bool, backendType=str, isActive=bool)


def check_task(data: dict[str, Any], where: str) -> None:
    _has(data, where, id=str, subject=str, description=str)
    assert data.get("status", "pending") in STATUSES, f"{where}: status {data.get('status')}"
    _may(data, where, activeForm=str, blocks=list, blockedBy=list, owner=(str, type(None)))
    _may(data, where, metadata=(dict, type(None)))
    assert all(isinstance(i, str) for i in [*data.get("blocks", []), *data.get("blockedBy", [])])


def check_message(data: dict[str, Any], where: str) -> None:
    _has(data, where, text=str, timestamp=str, **{"from": str})
    _may(data, where, read=bool, summary=(str, type(None)), color=(str, type(None)))
    text = data["text"]
    inner = json.loads(text) if text.startswith("{") else None
    if isinstance(inner, dict) and inner.get("type") == "shutdown_approved":
        _has(inner, where, requestId=str, timestamp=str, paneId=str, backendType=str)
    if isinstance(inner, dict) and inner.get("type") == "shutdown_request":
        _has(inner, where, requestId=str, reason=str, timestamp=str, **{"from": str})


def check_tree(root: Path) -> int:
    """Check every file of an exported ``~/.claude``; how many were checked."""
    count = 0
    for path in sorted(root.rglob("*.json")):
        where = str(path.relative_to(root))
        data = json.loads(path.read_text())
        if path.name == "config.json":
            check_config(data, where)
        elif path.parent.name == "inboxes":
            for entry in data:
                check_message(entry, where)
        else:
            check_task(data, where)
        count += 1
    return count
