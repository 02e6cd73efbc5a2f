"""``crewboard login`` and ``crewboard logout``: remember a server and a token for the client
commands (``task``, ``changelog``)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from crewboard.cli.errors import EXIT_USAGE, CliError
from crewboard.cli.output import emit_line
from crewboard.cli.remote.connection import parse
from crewboard.client.credentials import Credentials, forget, normalise_url, save
from crewboard.client.rest import ApiClient, segment
from crewboard.schemas.users import MeRead


def _read_token() -> str:
    stdin = sys.stdin
    if stdin is None:
        raise CliError("no standard input to read the token from", EXIT_USAGE)
    line = getpass.getpass("Token: ") if stdin.isatty() else stdin.readline()
    token = line.strip()
    if not token:
        raise CliError("no token on standard input", EXIT_USAGE)
    return token


def _project_for(client: ApiClient, me: MeRead, project: str | None) -> str | None:
    """An agent token's own project; for a person, --project once the server shows it to them."""
    if me.kind == "agent":
        if project is not None and project != me.project:
            raise CliError(
                f"this token is bound to project {me.project}, not {project}", EXIT_USAGE
            )
        return me.project
    if project is not None:
        client.get(f"/projects/{segment(project)}")  # not found or not yours: exit 3, no login
    return project


def login(
    url: Annotated[
        str, typer.Argument(metavar="URL", help="The server, e.g. http://127.0.0.1:8765.")
    ],
    token: Annotated[
        str | None,
        typer.Option(
            metavar="TOKEN",
            help="An API token (cb_…); --token-stdin keeps it out of the shell history.",
        ),
    ] = None,
    token_stdin: Annotated[
        bool,
        typer.Option(
            "--token-stdin",
            help="Read the token from stdin (prompts without echo on a terminal).",
        ),
    ] = False,
    project: Annotated[
        str | None,
        typer.Option(
            metavar="SLUG",
            help="The default project of a person's token (an agent token has its own).",
        ),
    ] = None,
) -> None:
    """Check a token against the server, then store URL, token and project for later commands.

    The file is credentials.json in the user config folder (CREWBOARD_CONFIG_DIR overrides
    it), readable only by you. CREWBOARD_URL, CREWBOARD_TOKEN and CREWBOARD_PROJECT override
    what it holds.
    """
    if (token is None) == (not token_stdin):
        raise CliError("give the token with --token TOKEN or --token-stdin", EXIT_USAGE)
    secret = token.strip() if token is not None else _read_token()
    if not secret:
        raise CliError("the token is empty", EXIT_USAGE)
    base = normalise_url(url)
    with ApiClient(base, secret) as client:
        me = parse(MeRead, client.get("/auth/me"))
        slug = _project_for(client, me, project)
    path = save(Credentials(url=base, token=secret, project=slug))
    who = me.user.email
    if me.kind == "agent":
        who = f"agent {me.agent_name} of project {slug} (token of {me.user.email})"
    elif slug:
        who += f", project {slug}"
    emit_line(f"logged in to {base} as {who}; credentials stored in {path}")


def logout() -> None:
    """Forget the stored server and token.

    This does not revoke the token: it stays valid until it expires or is revoked
    (crewboard token revoke, or the web UI).
    """
    path = forget()
    emit_line(f"forgot the credentials in {path}" if path else "not logged in; nothing to forget")
