"""Command parameters checked at the boundary, with the services' own rules.

A bad value is a usage error (exit 2) naming the parameter, before any database work.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from typing import Annotated

import typer
from email_validator import EmailNotValidError, validate_email

from crewboard.cli.errors import EXIT_USAGE, CliError
from crewboard.services.core import (
    Invalid,
    check_agent_name,
    check_password,
    check_slug,
    parse_duration,
)
from crewboard.services.projects import Role


def email_value(value: str | None) -> str | None:
    """Typer callback: an e-mail address (the same syntax check as the REST API's)."""
    if value is None:
        return None
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise typer.BadParameter(f"not an e-mail address ({exc})") from exc
    return value


def _by_rule(check: Callable[[str], object]) -> Callable[[str | None], str | None]:
    def callback(value: str | None) -> str | None:
        if value is not None:
            try:
                check(value)
            except Invalid as exc:
                raise typer.BadParameter(exc.message) from exc
        return value

    return callback


slug_value = _by_rule(check_slug)
agent_value = _by_rule(check_agent_name)
duration_value = _by_rule(parse_duration)

EmailArg = Annotated[str, typer.Argument(metavar="EMAIL", callback=email_value)]
SlugArg = Annotated[
    str, typer.Argument(metavar="PROJECT", callback=slug_value, help="The project's slug.")
]
AgentArg = Annotated[
    str,
    typer.Argument(metavar="NAME", callback=agent_value, help="The agent's name, e.g. backend."),
]
RoleOption = Annotated[
    Role, typer.Option("--role", case_sensitive=False, help="The person's role in the project.")
]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from stdin: one line, the trailing newline dropped "
        "(prompts without echo on a terminal).",
    ),
]


def read_password() -> str:
    """One line from stdin (a prompt without echo on a terminal), checked like the services do."""
    stdin = sys.stdin
    if stdin is None:
        raise CliError("no standard input to read the password from", EXIT_USAGE)
    if stdin.isatty():
        line = getpass.getpass("Password: ")
    else:
        line = stdin.readline()
        if not line:
            raise CliError("no password on standard input", EXIT_USAGE)
        line = line.removesuffix("\n").removesuffix("\r")
    try:
        return check_password(line)
    except Invalid as exc:
        raise CliError(exc.message, EXIT_USAGE) from exc
