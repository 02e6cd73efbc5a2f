"""A Claude Code agent team on disk, in the shapes documented in docs/claude-code.md.

Team ``web``: lead ``team-lead`` and three teammates; tasks in every status (one deleted)
with dependencies written both ways, owners and metadata; inboxes with plain messages,
a broadcast, and JSON-encoded protocol messages, read and unread.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TEAM = "web"
CREATED = 1770836587799


def _member(name: str, kind: str, joined: int, **extra: Any) -> dict[str, Any]:
    return {
        "agentId": f"{name}@{TEAM}",
        "name": name,
        "agentType": kind,
        "model": "claude-opus-4-6",
        "joinedAt": joined,
        "tmuxPaneId": "in-process" if extra else "",
        "cwd": "/srv/shop",
        "subscriptions": [],
        **extra,
    }


def config() -> dict[str, Any]:
    teammate = {"planModeRequired": False, "backendType": "in-process"}
    return {
        "name": TEAM,
        "description": "Checkout pages",
        "createdAt": CREATED,
        "leadAgentId": f"team-lead@{TEAM}",
        "leadSessionId": "a2485d01-5a05-4089-9dd4-32a061a1a1c8",
        "members": [
            _member("team-lead", "team-lead", CREATED),
            _member(
                "frontend",
                "general-purpose",
                CREATED + 1000,
                prompt="Build the pages",
                color="blue",
                **teammate,
            ),
            _member(
                "backend",
                "general-purpose",
                CREATED + 2000,
                prompt="Build the API",
                color="green",
                **teammate,
            ),
            _member(
                "qa",
                "general-purpose",
                CREATED + 3000,
                prompt="Test it",
                color="yellow",
                **teammate,
            ),
        ],
    }


def _task(tid: str, subject: str, status: str, **rest: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": tid,
        "subject": subject,
        "description": f"Do: {subject}",
        "activeForm": f"Doing {subject.lower()}",
        "status": status,
    }
    if "owner" in rest:
        data["owner"] = rest.pop("owner")
    data["blocks"] = rest.pop("blocks", [])
    data["blockedBy"] = rest.pop("blockedBy", [])
    data.update(rest)
    return data


def tasks() -> list[dict[str, Any]]:
    return [
        _task(
            "1",
            "Orders API",
            "completed",
            owner="backend",
            blocks=["2", "3"],
            metadata={"priority": "high", "files": ["api/orders.py"]},
        ),
        _task("2", "Checkout page", "in_progress", owner="frontend", blocks=["4"], blockedBy=["1"]),
        _task("3", "Order emails", "pending", blockedBy=["1"], metadata={"area": "mail"}),
        _task("4", "Checkout tests", "pending", owner="qa", blockedBy=["2"]),
        _task("5", "Old cart page", "deleted", blocks=[], blockedBy=[]),
    ]


def _protocol(**data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


SHUTDOWN = _protocol(
    type="shutdown_request",
    requestId="shutdown-1770840000000@qa",
    **{"from": "team-lead"},
    reason="All checkout work is done",
    timestamp="2026-02-11T21:00:00.000Z",
)
SHUTDOWN_OK = _protocol(
    type="shutdown_approved",
    requestId="shutdown-1770840000000@qa",
    **{"from": "qa"},
    timestamp="2026-02-11T21:00:05.000Z",
    paneId="in-process",
    backendType="in-process",
)
PLAN = _protocol(
    type="plan_approval_request",
    **{"from": "frontend"},
    timestamp="2026-02-11T20:00:00.000Z",
    planFilePath="",
    planContent="1. Form",
    requestId="plan-7",
)
PLAN_OK = _protocol(
    type="plan_approval_response",
    requestId="plan-7",
    approved=False,
    feedback="Add validation",
    timestamp="2026-02-11T20:01:00.000Z",
)
BROADCAST = "Freeze at 17:00, please"


def inboxes() -> dict[str, list[dict[str, Any]]]:
    def entry(sender: str, text: str, at: str, read: bool, **rest: Any) -> dict[str, Any]:
        return {"from": sender, "text": text, "timestamp": at, "read": read, **rest}

    return {
        "team-lead": [
            entry("frontend", PLAN, "2026-02-11T20:00:00.000Z", True, color="blue"),
            entry(
                "backend",
                "Orders API is in",
                "2026-02-11T20:30:00.123Z",
                True,
                summary="Orders API done",
                color="green",
            ),
            entry("qa", SHUTDOWN_OK, "2026-02-11T21:00:05.000Z", False, color="yellow"),
        ],
        "frontend": [
            entry("team-lead", PLAN_OK, "2026-02-11T20:01:00.000Z", True),
            entry("team-lead", BROADCAST, "2026-02-11T20:45:00.000Z", False, summary="Freeze"),
        ],
        "backend": [
            entry("team-lead", BROADCAST, "2026-02-11T20:45:00.000Z", True, summary="Freeze"),
        ],
        "qa": [
            entry("team-lead", BROADCAST, "2026-02-11T20:45:00.000Z", False, summary="Freeze"),
            entry("team-lead", SHUTDOWN, "2026-02-11T21:00:00.000Z", False),
        ],
    }


def write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))


def write_team(root: Path) -> Path:
    """The whole sample team under ``root`` (a stand-in for ~/.claude); returns ``root``."""
    write(root / "teams" / TEAM / "config.json", config())
    for task in tasks():
        write(root / "tasks" / TEAM / f"{task['id']}.json", task)
    for agent, entries in inboxes().items():
        write(root / "teams" / TEAM / "inboxes" / f"{agent}.json", entries)
    return root


def read_tree(root: Path) -> dict[str, Any]:
    """Every JSON file under ``root`` (relative path → parsed data): the semantic content,
    whatever the key order or whitespace. Protocol texts are compared parsed too."""
    files: dict[str, Any] = {}
    for path in sorted(root.rglob("*.json")):
        data = json.loads(path.read_text())
        if "inboxes" in path.parts:
            data = [{**e, "text": _parsed(e["text"])} for e in data]
        files[str(path.relative_to(root))] = data
    return files


def _parsed(text: str) -> object:
    try:
        return json.loads(text) if text.startswith("{") else text
    except json.JSONDecodeError:
        return text
