"""A small SSE reader for the live-stream tests: messages off a real HTTP stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

WAIT_SECONDS = 20.0  # generous: only a failing test ever waits this long


@dataclass(frozen=True)
class Message:
    """One SSE message."""

    id: int
    event: str
    data: dict[str, Any]


class Stream:
    """An open ``text/event-stream`` response, read message by message."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()
        self.start = 0

    async def joined(self) -> int:
        """Wait for the server's first message (sent once it follows the live events): the
        id the stream starts after."""
        start: int | None = None
        async for line in self._lines:
            if line.startswith("id: "):
                start = int(line.removeprefix("id: "))
            if line == "" and start is not None:
                self.start = start
                return start
        raise EOFError("the stream ended before it started")

    async def next(self, seconds: float = WAIT_SECONDS) -> Message:
        """The next message (comments and ``retry`` are skipped)."""
        return await asyncio.wait_for(self._next(), seconds)

    async def _next(self) -> Message:
        fields: dict[str, str] = {}
        async for line in self._lines:
            if line == "":
                if "data" in fields:
                    return Message(int(fields["id"]), fields["event"], json.loads(fields["data"]))
                fields = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        raise EOFError("the stream ended")

    async def take(self, count: int) -> list[Message]:
        """The next ``count`` messages."""
        return [await self.next() for _ in range(count)]

    async def until(self, predicate: Any) -> list[Message]:
        """Messages up to and including the first one the predicate accepts."""
        seen: list[Message] = []
        while True:
            message = await self.next()
            seen.append(message)
            if predicate(message):
                return seen

    async def rest(self) -> list[Message]:
        """Every message until the server ends the stream."""
        seen: list[Message] = []
        while True:
            try:
                seen.append(await self.next())
            except EOFError:
                return seen


@asynccontextmanager
async def open_stream(
    http: httpx.AsyncClient,
    path: str,
    *,
    token: str,
    params: dict[str, Any] | None = None,
    last_event_id: int | None = None,
) -> AsyncIterator[Stream]:
    """GET an SSE stream; yields once the server has answered (and joined the live bus)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    async with http.stream("GET", path, headers=headers, params=params) as response:
        assert response.status_code == 200, (await response.aread())[:500]
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = Stream(response)
        await stream.joined()
        yield stream
