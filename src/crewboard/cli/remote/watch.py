"""``crewboard msg watch``: follow a project's live stream (SSE), reconnecting with
``Last-Event-ID`` so that no event is lost or repeated across a dropped connection."""

from __future__ import annotations

import json
import logging
import time
from typing import Annotated, Any

import httpx
import typer

from crewboard.cli.errors import CliError, exit_code_for_status
from crewboard.cli.output import JsonFlag, emit_line, note
from crewboard.cli.remote.connection import ProjectOption
from crewboard.cli.remote.presenters import event_line, inbox_line
from crewboard.client.credentials import resolve
from crewboard.client.project import connect
from crewboard.client.rest import problem_message
from crewboard.client.sse import MAX_BACKOFF_SECONDS, read_events, stream_client, stream_path

logger = logging.getLogger(__name__)


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
    path = stream_path(slug, inbox=inbox)
    line = inbox_line if inbox else event_line
    params: dict[str, Any] = {"kind": kind or [], "subject": subject, "once": once or None}
    params = {k: v for k, v in params.items() if v not in (None, [])}
    last = after
    backoff = 1.0
    if not once:  # nothing may arrive for a while: say it is listening, so it does not look hung
        what = "your inbox" if inbox else "the events"
        note(f"watching {what} of {slug} on {credentials.url} (Ctrl-C stops)")
    with stream_client(credentials) as http:
        while True:
            resume = {} if last is None else {"Last-Event-ID": str(last)}
            try:
                with http.stream("GET", path, params=params, headers=resume) as response:
                    if response.is_error:
                        response.read()
                        raise CliError(
                            problem_message(response), exit_code_for_status(response.status_code)
                        )
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
