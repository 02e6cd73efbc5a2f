"""The client's one error type: a request it could not make, or one the server refused.

The CLI maps it to an exit code (``crewboard.cli.errors.exit_code_for_status``); ``sync``
records it as an edit that was not applied.
"""

from __future__ import annotations

__all__ = ["BAD_REQUEST", "UNAUTHORIZED", "ClientError", "one_line"]

# The statuses a client gives its own refusals: what the server would answer the same mistake.
BAD_REQUEST = 400
UNAUTHORIZED = 401


class ClientError(Exception):
    """One line for the operator, and the HTTP status behind it.

    ``status`` is the status of the server's refusal, or, for a refusal the client makes
    itself, the one the server would give (400 bad input or configuration, 401 not logged
    in); None when the server could not be reached or answered something unexpected.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def one_line(text: str, limit: int = 500) -> str:
    """Collapse whitespace (newlines included) and bound the length."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
