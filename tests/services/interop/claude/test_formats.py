"""What crewboard writes in Claude Code's own shapes, checked field by field against the models
Claude Code's readers use (``cs50victor/claude-code-teams-mcp``, ``models.py``)."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

from crewboard.services.interop.claude.files import write_files
from crewboard.services.interop.claude.formats import MessageOut, TaskOut, protocol_text, task_file

AT = datetime(2026, 2, 11, 21, 0, tzinfo=UTC)


def _message(kind: str, approve: bool | None) -> MessageOut:
    return MessageOut("qa", kind, "", None, "shutdown-1@qa", approve, AT, None)


def test_a_shutdown_approval_carries_every_field_claude_codes_model_requires() -> None:
    data = json.loads(protocol_text(_message("shutdown_response", True)))
    # ShutdownApproved: type, requestId, from, timestamp, paneId and backendType, all required.
    assert {"type", "requestId", "from", "timestamp", "paneId", "backendType"} <= set(data)
    assert (data["type"], data["requestId"], data["from"]) == (
        "shutdown_approved",
        "shutdown-1@qa",
        "qa",
    )
    assert all(isinstance(data[k], str) for k in ("paneId", "backendType", "timestamp"))


def test_an_empty_active_form_is_written_not_dropped() -> None:
    task = TaskOut("1", "Orders", "", "", "pending", None, [], [], {})
    assert task_file(task)["activeForm"] == ""
    assert "activeForm" not in task_file(
        TaskOut("1", "Orders", "", None, "pending", None, [], [], {})
    )
    assert task_file(task)["blockedBy"] == []


def test_files_are_written_0644_as_claude_code_writes_them(tmp_path: Path) -> None:
    written = write_files(tmp_path, {"tasks/web/1.json": {"id": "1"}}, lock_timeout=1.0)
    assert written == ["tasks/web/1.json"]
    mode = stat.S_IMODE((tmp_path / "tasks/web/1.json").stat().st_mode)
    assert mode == 0o644
