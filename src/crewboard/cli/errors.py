"""Exit codes, and how every failure becomes one line on stderr.

0 success; 1 failure (conflict, rate limit, database unreachable or not migrated, aborted);
2 usage error, invalid input or configuration; 3 not found; 4 forbidden or unauthenticated;
70 unexpected internal error; 130 interrupted. ``crewboard.cli.main`` documents them in full.
"""

from __future__ import annotations

import typer

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


def one_line(text: str, limit: int = 500) -> str:
    """Collapse whitespace (newlines included) and bound the length."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def fail_line(message: str) -> None:
    """Write ``crewboard: error: <message>`` to stderr, as one plain line (no markup)."""
    typer.echo(f"crewboard: error: {one_line(message)}", err=True)
