"""Failures as MCP tool errors: one line, with the stable problem code, never a crash."""

from __future__ import annotations

from typing import Any

from mcp_types import CallToolResult, TextContent
from pydantic import ValidationError

from crewboard.services.core import DomainError


def tool_error(code: str, message: str) -> CallToolResult:
    """An ``isError`` result: ``error [code]: message``."""
    line = " ".join(f"error [{code}]: {message}".split())
    return CallToolResult(content=[TextContent(type="text", text=line)], is_error=True)


def _field_name(parts: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in parts) or "arguments"


def from_validation(exc: ValidationError) -> CallToolResult:
    """Bad arguments: which ones, and why (the values are not echoed)."""
    problems = []
    for err in exc.errors()[:5]:
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown argument"
        problems.append(f"{_field_name(err['loc'])}: {message}")
    return tool_error("validation", "bad arguments: " + "; ".join(problems))


def from_domain(exc: DomainError) -> CallToolResult:
    """A service's refusal, with its code and the field or details that explain it."""
    extra: list[str] = []
    details: dict[str, Any] = exc.details
    if "field" in details:
        extra.append(f"field: {_camel(str(details['field']))}")
    for key in ("owner", "blocked_by", "current_version", "tasks"):
        if key in details:
            extra.append(f"{key}: {details[key]}")
    suffix = f" ({'; '.join(extra)})" if extra else ""
    return tool_error(exc.detail_code, exc.message + suffix)


_NAMES = {
    "title": "subject",
    "blocked_reason": "blockedReason",
    "needs_agent": "needsAgent",
    "active_form": "activeForm",
    "task_ids": "taskIds",
    "team": "team_name",
}


def _camel(field: str) -> str:
    """A service field name as the tools call it."""
    return _NAMES.get(field, field)
