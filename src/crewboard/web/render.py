"""Templates (Jinja2, autoescaped) and the headers every dashboard page carries."""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from crewboard.models import utcnow

# Everything the pages load comes from crewboard itself; no inline script, no inline style.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "object-src 'none'"
)
PAGE_HEADERS = {"content-security-policy": CSP, "cache-control": "no-store"}


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86_400:
        return f"{seconds // 3600}h {seconds % 3600 // 60}m"
    return f"{seconds // 86_400}d {seconds % 86_400 // 3600}h"


def ago(value: datetime | None) -> str:
    """'5m ago' (empty for None)."""
    return "" if value is None else f"{_span(utcnow() - value)} ago"


def left(value: datetime | None) -> str:
    """Time left until a moment ('expired' once passed; empty for None)."""
    if value is None:
        return ""
    delta = value - utcnow()
    return "expired" if delta.total_seconds() <= 0 else f"{_span(delta)} left"


def duration(value: timedelta) -> str:
    """A span such as '3h 20m'."""
    return _span(value)


def stamp(value: datetime | None) -> str:
    """A UTC time as 'YYYY-MM-DD HH:MM'."""
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def plain(value: object) -> str:
    """A recorded value in words for a person: none for nothing, yes/no, lists as their items
    (never a Python repr such as ``None``, ``[]`` or ``['a.py']``)."""
    if value is None or value == "" or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(plain(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {plain(item)}" for key, item in value.items())
    return str(value)


AGENT_COLOURS = 8  # .ag0 … .ag7 in app.css


@pass_context
def agent_class(context: Context, name: str | None) -> str:
    """An agent's colour class: by its place in the project's roster (distinct for the first
    eight, the same on every page), by a stable hash for a name off the roster."""
    if not name:
        return "ag-none"
    roster = context.get("agents") or []
    if name in roster:
        return f"ag{roster.index(name) % AGENT_COLOURS}"
    return f"ag{zlib.crc32(name.encode()) % AGENT_COLOURS}"


_env = Environment(
    loader=PackageLoader("crewboard.web", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters.update(
    ago=ago, left=left, duration=duration, stamp=stamp, plain=plain, agent_class=agent_class
)


# What base.html reads on pages outside a project (login, errors) unless a page sets it.
_LAYOUT_DEFAULTS: dict[str, Any] = {"project": None, "viewer": None, "nav": (), "active": ""}


def render(name: str, context: dict[str, Any]) -> str:
    """A template rendered to text."""
    return _env.get_template(name).render(**context)


def page(
    request: Request, name: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """An HTML page with the dashboard's security headers."""
    body = render(name, {**_LAYOUT_DEFAULTS, "request_path": request.url.path, **context})
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


def redirect(url: str) -> RedirectResponse:
    """303 See Other: after a form post, the browser GETs the result (no resubmission)."""
    return RedirectResponse(url, status_code=303, headers={"cache-control": "no-store"})
