"""Reading a project's live stream (SSE): the messages, and how to connect and reconnect.

Readers resume with ``Last-Event-ID`` after a dropped connection, so that no event is lost
or repeated; they wait ``1, 2, 4 ... MAX_BACKOFF_SECONDS`` between attempts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from crewboard.client.credentials import Credentials
from crewboard.client.rest import API_PREFIX, USER_AGENT, segment

__all__ = ["MAX_BACKOFF_SECONDS", "TIMEOUT", "read_events", "stream_client", "stream_path"]

# No read timeout: the server sends a keep-alive comment every 15 s (by default).
TIMEOUT = httpx.Timeout(None, connect=10.0)
MAX_BACKOFF_SECONDS = 30.0


def stream_path(project: str, *, inbox: bool = False) -> str:
    """The path of a project's event stream, or of one's own inbox stream."""
    return f"{API_PREFIX}/projects/{segment(project)}/" + ("inbox/stream" if inbox else "events")


def stream_client(credentials: Credentials) -> httpx.Client:
    """An HTTP client for the server's streams: the token, and no read timeout."""
    headers = {
        "Authorization": f"Bearer {credentials.token}",
        "User-Agent": USER_AGENT,
        "Accept": "text/event-stream",
    }
    return httpx.Client(base_url=credentials.url, headers=headers, timeout=TIMEOUT)


def read_events(response: httpx.Response) -> Iterator[tuple[int | None, dict[str, Any] | None]]:
    """``(id, data)`` per SSE message: ``data`` None for a message that only moves the id."""
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line:
            if not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            continue
        ident = fields.get("id")
        data = json.loads(fields["data"]) if "data" in fields else None
        if ident is not None or data is not None:
            yield (int(ident) if ident and ident.isdigit() else None), data
        fields = {}
