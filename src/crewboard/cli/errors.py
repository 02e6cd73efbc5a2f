"""Exit codes, and how every failure becomes one line on stderr.

0 success; 1 failure (conflict, rate limit, database unreachable or not migrated, aborted);
2 usage error, invalid input or configuration; 3 not found; 4 forbidden or unauthenticated;
70 unexpected internal error; 130 interrupted. ``crewboard.cli.main`` documents them in full.
"""

from __future__ import annotations

import typer

from crewboard.client.errors import ClientError, one_line
from crewboard.services.core import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
)

try:  # recent Typer releases ship their own copy of click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older Typer uses the click package
    from click import exceptions as click_exceptions  # type: ignore[no-redef]

__all__ = [
    "EXIT_CONFLICT",
    "EXIT_FORBIDDEN",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_USAGE",
    "CliError",
    "click_exceptions",
    "exit_code_for",
    "exit_code_for_client",
    "exit_code_for_status",
    "fail_line",
    "one_line",
]

EXIT_FAILURE = 1
EXIT_CONFLICT = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_FORBIDDEN = 4
EXIT_INTERNAL = 70  # EX_SOFTWARE
EXIT_INTERRUPTED = 130

_DOMAIN_CODES: dict[type[DomainError], int] = {
    Invalid: EXIT_USAGE,
    NotFound: EXIT_NOT_FOUND,
    Forbidden: EXIT_FORBIDDEN,
    Unauthenticated: EXIT_FORBIDDEN,
    Conflict: EXIT_CONFLICT,
    RateLimited: EXIT_FAILURE,
}


class CliError(Exception):
    """A failure the CLI itself detects (configuration, database access, bad stdin)."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def exit_code_for(error: DomainError) -> int:
    """The exit code of a domain error (the nearest mapped base class wins)."""
    for cls in type(error).__mro__:
        if cls in _DOMAIN_CODES:
            return _DOMAIN_CODES[cls]
    return EXIT_FAILURE


def exit_code_for_status(status: int) -> int:
    """The exit code for an HTTP error status (the admin commands' meaning of each)."""
    if status in (401, 403):
        return EXIT_FORBIDDEN
    if status == 404:
        return EXIT_NOT_FOUND
    if status in (409, 429) or status >= 500:
        return EXIT_FAILURE
    return EXIT_USAGE  # 400, 422, 428 and any other refusal of the request as sent


def exit_code_for_client(error: ClientError) -> int:
    """The exit code of a client error: its status's, or failure when it has none."""
    return EXIT_FAILURE if error.status is None else exit_code_for_status(error.status)


def fail_line(message: str) -> None:
    """Write ``crewboard: error: <message>`` to stderr, as one plain line (no markup)."""
    typer.echo(f"crewboard: error: {one_line(message)}", err=True)
