"""The HTTP client of the client commands: what it sends, and how each kind of answer ends.

A small stand-in HTTP server (the standard library's) answers what a crewboard server
behind a proxy may answer; the commands are the real ones.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crewboard import __version__
from tests.support.cli import assert_one_line_error, run_in_process

TOKEN = "cb_test-token-never-shown"
PROBLEM = "application/problem+json"
# path -> (status, content type, body)
ANSWERS: dict[str, tuple[int, str, str]] = {
    "/api/v1/projects/shop/tasks/1": (200, "text/html", "<html>a login page</html>"),
    "/api/v1/projects/shop/tasks/2": (502, "text/html", "<html>bad gateway</html>"),
    "/api/v1/projects/shop/tasks/3": (
        503,
        PROBLEM,
        json.dumps(
            {"type": "urn:crewboard:problem:busy", "status": 503, "detail": "the database is busy"}
        ),
    ),
    "/api/v1/projects/shop/tasks/5": (301, "text/html", ""),
    "/api/v1/projects/shop/tasks/4": (
        429,
        PROBLEM,
        json.dumps({"type": "urn:crewboard:problem:rate-limited", "detail": "slow down"}),
    ),
}


class _Handler(BaseHTTPRequestHandler):
    seen: list[dict[str, str]]

    def do_GET(self) -> None:
        self.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        status, kind, body = ANSWERS.get(self.path, (404, "text/plain", "nothing here"))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if status == 301:
            self.send_header("Location", "https://elsewhere.example" + self.path)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[dict[str, str]]]:
    """The stand-in server, with the client pointed at it; yields the requests it saw."""
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Handler,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name in ("CREWBOARD_URL", "CREWBOARD_TOKEN", "CREWBOARD_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CREWBOARD_URL", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("CREWBOARD_TOKEN", TOKEN)
    monkeypatch.setenv("CREWBOARD_PROJECT", "shop")
    monkeypatch.setenv("CREWBOARD_CONFIG_DIR", str(tmp_path / "config"))
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_what_the_client_sends(stand_in: list[dict[str, str]]) -> None:
    await run_in_process("task", "show", "3")
    (request,) = stand_in
    assert request["user-agent"] == f"crewboard-cli/{__version__}"
    assert request["authorization"] == f"Bearer {TOKEN}"
    assert request["accept"] == "application/json"


async def test_answers_that_are_not_crewboard_problems(stand_in: list[dict[str, str]]) -> None:
    not_json = await run_in_process("task", "show", "1")
    assert_one_line_error(not_json, 1, "something other than JSON", "is this URL a crewboard")
    gateway = await run_in_process("task", "show", "2")
    assert_one_line_error(gateway, 1, "HTTP 502 Bad Gateway from http://127.0.0.1:")
    busy = await run_in_process("task", "show", "3")
    assert_one_line_error(busy, 1, "the database is busy [busy]")
    limited = await run_in_process("task", "show", "4", "--json")
    assert_one_line_error(limited, 1, "slow down [rate-limited]")
    moved = await run_in_process("task", "show", "5")
    assert_one_line_error(moved, 1, "redirects to https://elsewhere.example/api/v1/")
    assert len(stand_in) == 5  # the redirect was not followed
    for result in (not_json, gateway, busy, limited, moved):
        assert TOKEN not in result.stderr
