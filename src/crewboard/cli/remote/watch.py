"""``crewboard msg watch``: follow a project's live stream (SSE), reconnecting with
``Last-Event-ID`` so that no event is lost or repeated across a dropped connection."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import typer

from crewboard.cli.errors import CliError
from crewboard.cli.output import JsonFlag, emit_line, note
from crewboard.cli.remote.connection import ProjectOption, connect
from crewboard.client.credentials import resolve
from crewboard.client.rest import API_PREFIX, USER_AGENT, problem_message, segment
from crewboard.client.rest import exit_code_for_status as exit_code

logger = logging.getLogger(__name__)

# No read timeout: the server sends a keep-alive comment every 15 s (by default).
TIMEOUT = httpx.Timeout(None, connect=10.0)
MAX_BACKOFF_SECONDS = 30.0


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


def event_line(event: dict[str, Any]) -> str:
    """``#<id> <time> <actor> <kind> <subject>``."""
    return f"#{event['id']} {event['at']} {event['actor']} {event['kind']} {event['subject']}"


def message_line(message: dict[str, Any]) -> str:
    """``#<id> <time> <sender> <kind>: <body>`` for a message of one's inbox."""
    text = " ".join(str(message["body"] or message["summary"] or "").split())
    return f"#{message['id']} {message['created_at']} {message['sender']} {message['kind']}: {text}"


def watch(
    project: ProjectOption = None,
    inbox: Annotated[
        bool,
        typer.Option("--inbox", help="Follow your own inbox (messages, with their text) instead."),
    ] = False,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            metavar="PREFIX",
            help="Only kinds starting with this (repeatable): task., message., team.",
        ),
    ] = None,
    subject: Annotated[
        str | None, typer.Option(metavar="SUBJECT", help="Only this subject, e.g. task:12.")
    ] = None,
    after: Annotated[
        int | None,
        typer.Option(min=0, metavar="ID", help="First replay the events after this id."),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Print the events after --after and exit.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Follow the project's events (or your inbox) as they happen (Ctrl-C stops); reconnects
    on its own."""
    if inbox and (kind or subject):
        raise CliError("--inbox follows messages only: no --kind or --subject with it", 2)
    credentials = resolve()
    with connect(project) as remote:
        slug = remote.project
    path = f"{API_PREFIX}/projects/{segment(slug)}/" + ("inbox/stream" if inbox else "events")
    line = message_line if inbox else event_line
    params: dict[str, Any] = {"kind": kind or [], "subject": subject, "once": once or None}
    params = {k: v for k, v in params.items() if v not in (None, [])}
    headers = {"Authorization": f"Bearer {credentials.token}", "User-Agent": USER_AGENT,
               "Accept": "text/event-stream"}  # fmt: skip
    last = after
    backoff = 1.0
    with httpx.Client(base_url=credentials.url, headers=headers, timeout=TIMEOUT) as http:
        while True:
            resume = {} if last is None else {"Last-Event-ID": str(last)}
            try:
                with http.stream("GET", path, params=params, headers=resume) as response:
                    if response.is_error:
                        response.read()
                        raise CliError(problem_message(response), exit_code(response.status_code))
                    backoff = 1.0
                    for ident, data in read_events(response):
                        last = ident if ident is not None else last
                        if data is not None:
                            emit_line(json.dumps(data) if as_json else line(data))
            except httpx.TransportError as exc:
                if once:
                    raise CliError(f"lost the stream from {credentials.url}: {exc}") from exc
                note(f"stream interrupted ({type(exc).__name__}); reconnecting")
            if once:
                return
            logger.info("reconnecting after event %s in %.0f s", last, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
