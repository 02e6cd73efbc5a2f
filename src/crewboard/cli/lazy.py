"""The root command group, which imports the admin commands only when one is run.

The admin commands load the database layer (SQLAlchemy, Alembic, the services): about a
second of start-up. The client commands, which agents run in loops, need none of it.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

from crewboard.cli.app import CONTEXT_SETTINGS

try:  # recent Typer releases ship their own copy of click
    from typer import _click as click_api
except ImportError:  # pragma: no cover - older Typer uses the click package
    import click as click_api  # type: ignore[no-redef]

# name -> (module, attribute): a Typer app (a group) or a function (a single command).
ADMIN_COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("crewboard.cli.admin.serve", "serve_command"),
    "migrate": ("crewboard.cli.admin.serve", "migrate_command"),
    "user": ("crewboard.cli.admin.users", "app"),
    "project": ("crewboard.cli.admin.projects", "project_app"),
    "member": ("crewboard.cli.admin.projects", "member_app"),
    "agent": ("crewboard.cli.admin.agents", "app"),
    "token": ("crewboard.cli.admin.tokens", "app"),
    "demo": ("crewboard.cli.admin.demo", "demo_command"),
    "import": ("crewboard.cli.admin.transfer", "import_app"),
    "export": ("crewboard.cli.admin.transfer", "export_app"),
    "backup": ("crewboard.cli.admin.backup", "backup_command"),
    "restore": ("crewboard.cli.admin.backup", "restore_command"),
    "init": ("crewboard.cli.admin.repo_init", "init_command"),
    "mcp": ("crewboard.cli.admin.mcp", "mcp_command"),  # not admin, but as heavy to import
    "sync": ("crewboard.cli.remote.sync", "sync"),  # a client command, loaded on use all the same
}


def load_command(name: str) -> click_api.Command:
    """The click command of an admin command, built from its module on first use."""
    module_name, attribute = ADMIN_COMMANDS[name]
    target: Any = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(target, typer.Typer):
        single = typer.Typer(
            rich_markup_mode=None,
            pretty_exceptions_enable=False,
            add_completion=False,
            context_settings=CONTEXT_SETTINGS,
        )
        single.command(name)(target)
        target = single
    command = typer.main.get_command(target)
    command.name = name
    return command


class LazyRoot(TyperGroup):
    """A group whose admin subcommands are imported when looked up, not at start-up."""

    def list_commands(self, ctx: click_api.Context) -> list[str]:
        return [*super().list_commands(ctx), *ADMIN_COMMANDS]

    def get_command(self, ctx: click_api.Context, cmd_name: str) -> click_api.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in ADMIN_COMMANDS:
            command = load_command(cmd_name)
            self.commands[cmd_name] = command
        return command
