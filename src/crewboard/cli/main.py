"""The ``crewboard`` command: the app, ``--version``, and the one place errors are reported.

Every failure is one line on stderr, ``crewboard: error: <message>``, and an exit code:

- 0 success
- 1 failure: conflict (duplicate, last admin/owner, agent in use), rate limit, database
  unreachable or not migrated, server failed to start, aborted
- 2 usage error (missing argument, unknown option, bad value), input a service refused as
  invalid, or an invalid ``CREWBOARD_*`` setting
- 3 not found (user, project, agent, token, task)
- 4 forbidden or unauthenticated (client commands: also "not logged in")
- 70 unexpected internal error (traceback logged at DEBUG: ``CREWBOARD_LOG_LEVEL=DEBUG``)
- 130 interrupted

Admin commands act directly on the database of ``CREWBOARD_DATABASE_URL`` as the system
actor (whoever can run them can read that database anyway). Client commands (``login``,
``logout``, ``task``, ``team``, ``msg``, ``changelog``, ``tracker``) talk to a server over
HTTP with a token; their HTTP errors map onto the same codes: 400/422/428 → 2, 401/403 → 4,
404 → 3, 409/429/5xx → 1, and an unreachable server → 1. They log at WARNING unless
``CREWBOARD_LOG_LEVEL`` is set; ``serve`` logs at ``CREWBOARD_LOG_LEVEL`` (default INFO).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Annotated

import typer

from crewboard import __version__
from crewboard.cli.admin.settings import load_settings
from crewboard.cli.app import new_app
from crewboard.cli.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    click_exceptions,
    exit_code_for,
    exit_code_for_client,
    fail_line,
)
from crewboard.cli.hook_run import run_hook
from crewboard.cli.lazy import LazyRoot
from crewboard.cli.remote import (
    changelog,
    connect,
    login,
    messages,
    tasks,
    teams,
    trackers,
    watch,
)
from crewboard.client.errors import ClientError
from crewboard.log import configure_logging
from crewboard.services.core import DomainError

logger = logging.getLogger("crewboard.cli")

app = new_app(
    "crewboard: the shared tracker, mailbox and changelog for teams of coding agents.\n\n"
    "Client commands (login, logout, connect, task, team, msg, changelog, tracker, sync, mcp, "
    "hook) talk to "
    "a crewboard server with a token. Admin commands (serve, migrate, user, project, member, "
    "agent, token, init, import, export, backup, restore, demo) act directly on the database "
    "named by CREWBOARD_DATABASE_URL. See docs/cli.md.",
    cls=LazyRoot,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"crewboard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Options of the ``crewboard`` command itself."""


app.command("login")(login.login)
app.command("logout")(login.logout)
app.command("connect")(connect.connect)
app.add_typer(tasks.app, name="task")
app.add_typer(teams.app, name="team")
app.add_typer(changelog.app, name="changelog")
app.add_typer(trackers.app, name="tracker")
messages.app.command("watch")(watch.watch)  # the live stream, next to the inbox
app.add_typer(messages.app, name="msg")
# serve, migrate, user, project, member, agent, token: imported on use (crewboard.cli.lazy).


def run(argv: Sequence[str] | None = None, *, application: typer.Typer = app) -> int:
    """Run the command line and return its exit code; every error is one line on stderr."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["hook"]:
        return run_hook(args[1:])  # Claude Code's hooks: their own exit-code contract
    try:
        result = application(args=argv, prog_name="crewboard", standalone_mode=False)
    except click_exceptions.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.format_message(), err=True)
            return EXIT_USAGE
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        fail_line(exc.format_message() + hint)
        return exc.exit_code
    except click_exceptions.ClickException as exc:
        fail_line(exc.format_message())
        return exc.exit_code
    except typer.Abort:
        fail_line("aborted")
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except CliError as exc:
        fail_line(exc.message)
        return exc.exit_code
    except ClientError as exc:
        fail_line(exc.message)
        return exit_code_for_client(exc)
    except DomainError as exc:
        fail_line(exc.message)
        return exit_code_for(exc)
    except KeyboardInterrupt:
        fail_line("interrupted")
        return EXIT_INTERRUPTED
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        fail_line(str(exc.code))
        return 1
    except Exception as exc:
        logger.debug("unexpected error", exc_info=True)
        fail_line(
            f"unexpected {type(exc).__name__}: {exc} "
            "(this is a bug; CREWBOARD_LOG_LEVEL=DEBUG shows the traceback)"
        )
        return EXIT_INTERNAL
    return result if isinstance(result, int) else 0


def _log_level() -> str:
    """WARNING unless CREWBOARD_LOG_LEVEL says otherwise (``serve`` logs at INFO by default)."""
    try:
        settings = load_settings()
    except CliError:
        return "WARNING"  # the command reports the bad configuration itself
    return settings.log_level if "log_level" in settings.model_fields_set else "WARNING"


def main(argv: Sequence[str] | None = None) -> int:
    """The ``crewboard`` entry point."""
    configure_logging(_log_level())
    return run(argv)
