"""Logging setup: one format for every process, with the request id on each line."""

from __future__ import annotations

import logging
from contextvars import ContextVar

request_id_var: ContextVar[str] = ContextVar("crewboard_request_id", default="-")


def escape_controls(text: str) -> str:
    """``text`` on one line: each character that does not print (newlines, NUL, escape, the
    Unicode line separators…) as its Python escape, so input can never forge a log line."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


class OneLineFormatter(logging.Formatter):
    """The message on one line, whatever a request put in it; a traceback keeps its lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = escape_controls(record.message)
        return super().formatMessage(record)


class RequestIdFilter(logging.Filter):
    """Put the current request id on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr as ``time level logger [request id] message``."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        OneLineFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's own access log would repeat ours (and without the request id).
    logging.getLogger("uvicorn.access").disabled = True
