"""A real HTTP receiver for webhook tests: a threaded ``http.server`` on 127.0.0.1."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

logger = logging.getLogger(__name__)

# A safety net for a hung wait, not a measured duration: waits end on a condition.
PATIENCE = 30.0
TRICKLE_LINES = 40


@dataclass(frozen=True)
class Received:
    """One request as the receiver got it."""

    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    def verifies(self, secret: str) -> bool:
        """The check a receiver makes (docs/webhooks.md): HMAC-SHA256 of "<timestamp>.<body>"."""
        signed = self.headers["x-crewboard-timestamp"].encode() + b"." + self.body
        expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers["x-crewboard-signature"])


@dataclass
class Receiver:
    """Answers 500 to the first ``fail_first`` requests, then ``status``; while ``hold`` is
    clear, a request waits in the handler (``entered`` is set when one does). With
    ``trickle`` the answer's header lines come one every ``trickle`` seconds (``TRICKLE_LINES``
    of them): no single read waits long, the whole answer does."""

    fail_first: int = 0
    trickle: float = 0.0
    status: int = 204
    hold: threading.Event | None = None
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answered: int = 0
    entered: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.requests.append(Received(headers, body))
            number = len(self.requests)
        if self.hold is not None:
            self.entered.set()
            self.hold.wait(PATIENCE)
        with self.lock:
            self.answered += 1
        return 500 if number <= self.fail_first else self.status

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r.json for r in self.requests]


@contextmanager
def running(receiver: Receiver) -> Iterator[Receiver]:
    """Serve the receiver on a free port for the block."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            code = receiver.handle(headers, body)
            if receiver.trickle:
                self.trickle(code)
                return
            self.send_response(code)
            self.send_header("content-length", "0")
            self.end_headers()

        def trickle(self, code: int) -> None:
            lines = [f"HTTP/1.1 {code} OK\r\n".encode()]
            lines += [b"x-pad: a\r\n"] * TRICKLE_LINES + [b"content-length: 0\r\n\r\n"]
            try:
                for line in lines:
                    self.wfile.write(line)
                    self.wfile.flush()
                    time.sleep(receiver.trickle)
            except (BrokenPipeError, ConnectionResetError) as exc:
                logger.debug("the sender hung up on a trickled answer: %s", exc)
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug(format, *args)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hold is not None:
            receiver.hold.set()
        server.shutdown()
        server.server_close()
        thread.join(PATIENCE)


async def eventually(check: Callable[[], Any], what: str) -> None:
    """Wait until ``check()`` (a coroutine function or a plain one) is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        assert loop.time() < deadline, f"gave up waiting for {what}"
        await asyncio.sleep(0.02)
