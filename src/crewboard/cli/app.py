"""The Typer application factory shared by the command groups."""

from __future__ import annotations

import typer
from typer.core import TyperGroup

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


def new_app(help_text: str, *, cls: type[TyperGroup] | None = None) -> typer.Typer:
    """A command group: plain (unmarked-up) help, help when called bare, no completion flags."""
    return typer.Typer(
        cls=cls,
        help=help_text,
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        add_completion=False,
        context_settings=CONTEXT_SETTINGS,
    )
