"""The SSE reader: ids and data per message, comments and id-only messages handled."""

from __future__ import annotations

import httpx

from crewboard.client.sse import read_events


def test_read_events() -> None:
    stream = (
        ': keep-alive\n\nid: 3\ndata: {"kind": "task.created"}\n\nid: 4\n\ndata: {"kind": "x"}\n\n'
    )
    response = httpx.Response(200, text=stream)
    assert list(read_events(response)) == [
        (3, {"kind": "task.created"}),
        (4, None),
        (None, {"kind": "x"}),
    ]
