"""The command's shell: ``--version``, help, and unexpected errors (exit 70, one line)."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
import typer

from crewboard import __version__
from crewboard.cli.main import run
from tests.support.cli import Result, assert_one_line_error, run_in_process


async def test_version() -> None:
    result = await run_in_process("--version")
    assert (result.code, result.stdout, result.stderr) == (0, f"crewboard {__version__}\n", "")


async def test_help_lists_the_commands() -> None:
    result = await run_in_process("--help")
    assert result.code == 0
    commands = ("login", "logout", "task", "changelog", "serve", "migrate", "user", "project")
    for command in (*commands, "member", "agent", "token"):
        assert command in result.stdout
    sub = await run_in_process("token", "create", "-h")
    assert sub.code == 0
    assert "--expires-in" in sub.stdout


@pytest.mark.e2e
def test_client_commands_do_not_load_the_database_layer() -> None:
    """Agents run the client commands in loops: start-up must not import SQLAlchemy & co.

    (A fresh interpreter: this test process has long imported everything.)
    """
    code = (
        "import sys, crewboard.cli.main as m; "
        "m.app(args=['task', 'list', '--help'], standalone_mode=False); "
        "heavy = [n for n in ('sqlalchemy', 'alembic', 'fastapi', 'crewboard.services.projects') "
        "if n in sys.modules]; "
        "sys.exit(f'loaded: {heavy}' if heavy else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


async def test_no_arguments_shows_help_as_a_usage_error() -> None:
    result = await run_in_process()
    assert result.code == 2
    assert result.stdout == ""
    assert "Usage: crewboard" in result.stderr


def _broken_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.command()
    def boom() -> None:
        raise RuntimeError("kaboom\nsecond line")

    @app.command()
    def other() -> None:  # a second command makes ``boom`` a subcommand
        return None

    return app


def _run_broken(capsys: pytest.CaptureFixture[str]) -> Result:
    code = run(["boom"], application=_broken_app())
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def test_unexpected_error_is_one_line_and_70(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    result = _run_broken(capsys)
    assert_one_line_error(result, 70, "unexpected RuntimeError: kaboom second line")
    assert not [r for r in caplog.records if r.exc_info]  # no traceback above DEBUG


def test_unexpected_error_traceback_at_debug(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="crewboard.cli")
    result = _run_broken(capsys)
    assert result.code == 70
    traced = [r for r in caplog.records if r.exc_info]
    assert len(traced) == 1
    assert traced[0].levelno == logging.DEBUG
    exc_info = traced[0].exc_info
    assert exc_info is not None
    assert isinstance(exc_info[1], RuntimeError)


USAGE_CASES = [
    (["frobnicate"], "No such command 'frobnicate'"),
    (["token", "create"], "Missing option '--user'"),
    (["token", "revoke", "abc"], "Invalid value for 'ID'"),
    (["token", "revoke", "0"], "Invalid value for 'ID'"),
    (["member", "add", "demo", "bob@example.com", "--role", "boss"], "Invalid value for '--role'"),
    (["member", "add", "demo", "bob@example.com"], "Missing option '--role'"),
    (["agent", "add", "demo", "Bad Name"], "Invalid value for 'NAME': an agent name is"),
    (["token", "list", "--user", "nope"], "Invalid value for '--user': not an e-mail address"),
    (["project", "create", "demo", "--owner", "x@"], "Invalid value for '--owner'"),
    (["serve", "--port", "70000"], "Invalid value for '--port'"),
    (["user", "create", "a@example.com", "--admin=yes"], "--admin"),
]


@pytest.mark.parametrize(("args", "fragment"), USAGE_CASES)
async def test_usage_errors_in_process(
    args: list[str], fragment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Usage errors are caught before any configuration or database is read."""
    monkeypatch.setenv("CREWBOARD_DATABASE_URL", "mysql://not-even-valid")
    assert_one_line_error(await run_in_process(*args), 2, fragment)


async def test_bad_configuration_value_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREWBOARD_PORT", "0")
    monkeypatch.setenv("CREWBOARD_DATABASE_URL", "sqlite+aiosqlite:////nonexistent/x.db")
    assert_one_line_error(
        await run_in_process("user", "list"), 2, "invalid configuration: CREWBOARD_PORT:"
    )
