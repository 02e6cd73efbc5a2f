"""``crewboard serve`` and ``crewboard migrate``: run the server, bring the schema to head."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Annotated

import typer

from crewboard.cli.admin.runner import open_database
from crewboard.cli.admin.settings import load_settings
from crewboard.cli.errors import CliError
from crewboard.cli.output import emit_line, note
from crewboard.config import Settings
from crewboard.database import migrate
from crewboard.log import configure_logging
from crewboard.services.accounts import AuthService
from crewboard.services.core import unit_of_work

logger = logging.getLogger(__name__)


def migrate_command() -> None:
    """Bring the database to the newest schema and print its revision."""
    settings = load_settings()

    async def _main() -> str:
        async with open_database(settings) as database:
            return await migrate(database)

    emit_line(asyncio.run(_main()))


async def _prepare(settings: Settings) -> str | None:
    """Migrate; on an instance without users, a fresh one-time setup secret."""
    async with open_database(settings) as database:
        await migrate(database)
        async with unit_of_work(database, write=True) as session:
            return await AuthService(session, settings).issue_setup_secret()


def _announce_setup(secret: str, settings: Settings, host: str, port: int) -> None:
    # Console output for the operator, deliberately not a log record: logs get shipped.
    base = f"http://{host}:{port}"
    note(
        "\n".join(
            [
                "",
                "crewboard has no users yet. Create the first admin with this one-time setup",
                f"secret (valid for {settings.setup_secret_minutes} minutes, or until an admin "
                "exists; a restart issues a new one):",
                "",
                f"    {secret}",
                "",
                f"  curl -X POST {base}/api/v1/auth/setup -H 'Content-Type: application/json' \\",
                f'       -d \'{{"setup_secret": "{secret}", "email": "you@example.com", '
                '"password": "..."}\'',
                "",
                "or, on this machine: crewboard user create EMAIL --admin --password-stdin",
                "",
            ]
        )
    )


def serve_command(
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on. [default: CREWBOARD_HOST or 127.0.0.1]"),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port to listen on. [default: CREWBOARD_PORT or 8765]"),
    ] = None,
) -> None:
    """Migrate the database, then serve the API (and print a setup secret on a new instance)."""
    import uvicorn

    from crewboard.server.app import create_app
    from crewboard.server.uvicorn import Server

    settings = load_settings()
    configure_logging(settings.log_level)
    host = host or settings.host
    port = port or settings.port
    secret = asyncio.run(_prepare(settings))
    if secret is not None:
        _announce_setup(secret, settings, host, port)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # keep crewboard's logging configuration
        access_log=False,  # the request middleware logs every request, with its id
        server_header=False,
    )
    server = Server(config, app)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal; make
    # both end as KeyboardInterrupt so that a requested stop exits 0.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.run()
    except KeyboardInterrupt:
        logger.info("crewboard stopped")
    except SystemExit as exc:  # uvicorn exits this way when it cannot start (port in use, ...)
        if exc.code not in (0, None):
            raise CliError(
                f"the server on {host}:{port} failed (exit {exc.code}); see the log above"
            ) from exc
    finally:
        signal.signal(signal.SIGTERM, previous)
