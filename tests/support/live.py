"""A real crewboard server (uvicorn on a free port) in a background thread, for the client tests.

The app creates its own ``Database`` in its lifespan, so the engine lives on the server
thread's event loop; the tests keep using theirs on the same database.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from crewboard.config import Settings
from crewboard.server.app import create_app
from crewboard.server.uvicorn import Server

STARTUP_SECONDS = 30.0


def closed_port_url() -> str:
    """A URL on which nothing listens (the port was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    """Serve the API for ``settings`` (background jobs off) and yield its base URL."""
    app = create_app(settings.model_copy(update={"jobs_enabled": False}))
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
    server = Server(config, app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="crewboard-live-server", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        sock.close()
