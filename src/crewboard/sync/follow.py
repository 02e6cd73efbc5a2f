"""``crewboard sync --watch``: sync again when a synced file changes or the server says so.

Files are polled (modification time and size, every ``POLL_SECONDS``: no extra dependency,
and a rename-over by an editor is seen like any write). The server's live stream (SSE) is
followed in a thread, resuming with ``Last-Event-ID`` after a dropped connection as
``crewboard msg watch`` does; each task, changelog or roster event wakes the loop. Changes
arriving together are handled by one run (``DEBOUNCE_SECONDS``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import httpx

from crewboard.client.credentials import Credentials
from crewboard.client.sse import MAX_BACKOFF_SECONDS, read_events, stream_client, stream_path

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
DEBOUNCE_SECONDS = 0.3
KINDS = ("task.", "changelog.", "agent.")


class ServerEvents(threading.Thread):
    """Sets ``wake`` for every event of the project's stream until ``stop`` is set."""

    def __init__(
        self, credentials: Credentials, project: str, wake: threading.Event, stop: threading.Event
    ) -> None:
        super().__init__(name="crewboard-sync-events", daemon=True)
        self.credentials, self.project, self.wake, self.stop_flag = credentials, project, wake, stop
        self._response: httpx.Response | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        """End the stream now (a blocked read fails, and the thread sees ``stop``)."""
        with self._lock:
            if self._response is not None:
                self._response.close()

    def run(self) -> None:
        path = stream_path(self.project)
        last: int | None = None
        backoff = 1.0
        with stream_client(self.credentials) as http:
            while not self.stop_flag.is_set():
                resume = {} if last is None else {"Last-Event-ID": str(last)}
                try:
                    with http.stream(
                        "GET", path, params={"kind": list(KINDS)}, headers=resume
                    ) as response:
                        with self._lock:
                            self._response = response
                        if response.is_error:
                            logger.warning("the event stream answered %s", response.status_code)
                        else:
                            backoff = 1.0
                            if last is None:
                                # A fresh stream starts "now": whatever changed between the
                                # first sync and this moment comes with no event, so sync
                                # once more (a resumed stream replays what it missed).
                                self.wake.set()
                            for ident, data in read_events(response):
                                last = ident if ident is not None else last
                                if data is not None:
                                    self.wake.set()
                except (httpx.HTTPError, RuntimeError) as exc:
                    # A closed response raises too; whether to go on is the stop flag's call.
                    logger.info("event stream interrupted: %s", type(exc).__name__)
                with self._lock:
                    self._response = None
                if self.stop_flag.wait(backoff):
                    return
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)


def stamps(paths: list[Path]) -> dict[Path, tuple[int, int] | None]:
    """Modification time and size of each file (None: missing)."""
    found: dict[Path, tuple[int, int] | None] = {}
    for path in paths:
        try:
            info = path.stat()
        except FileNotFoundError:
            found[path] = None
            continue
        found[path] = (info.st_mtime_ns, info.st_size)
    return found


def follow(run: Callable[[], list[Path]], wake: threading.Event, stop: threading.Event) -> None:
    """Run, then run again on every wake-up or file change, until ``stop`` is set.

    ``run`` syncs once and returns the files to watch; stamps are taken after it, so the
    run's own writes do not trigger another.
    """
    watched = run()
    seen = stamps(watched)
    while not stop.is_set():
        woken = wake.wait(POLL_SECONDS)
        if not woken and stamps(watched) == seen:
            continue
        if stop.wait(DEBOUNCE_SECONDS):
            return
        wake.clear()
        watched = run()
        seen = stamps(watched)
