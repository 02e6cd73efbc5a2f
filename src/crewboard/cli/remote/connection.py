"""What the client commands share: the connection to one project, common options, output.

The commands are thin: they shape a request, send it, and show the answer. Every rule
(who may do what, which transition is allowed, what a value may be) is the server's.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from crewboard.cli.errors import CliError
from crewboard.cli.output import note
from crewboard.client.project import Remote
from crewboard.client.rest import Params

M = TypeVar("M", bound=BaseModel)

ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        "-p",
        metavar="SLUG",
        help="The project. Default: CREWBOARD_PROJECT, the one stored at login, "
        "or an agent token's own project.",
    ),
]
AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        metavar="AGENT",
        help="Act for this agent (people acting for an agent; an agent token acts as itself).",
    ),
]
LimitOption = Annotated[
    int, typer.Option("--limit", metavar="N", help="How many per page (the server allows 1-200).")
]
AllFlag = Annotated[bool, typer.Option("--all", help="Every page, not only the first.")]

_PRIORITY = re.compile(r"[Pp]?\d+")


def priority_value(value: str | None) -> str | None:
    """Typer callback: ``0``-``3`` or ``P0``-``P3`` (the server checks the range)."""
    if value is not None and not _PRIORITY.fullmatch(value.strip()):
        raise typer.BadParameter("a priority is 0-3 or P0-P3")
    return value


def priority_number(value: str | None) -> int | None:
    """The number of a priority accepted by ``priority_value``."""
    return None if value is None else int(value.strip().lstrip("Pp"))


PriorityOption = Annotated[
    str | None,
    typer.Option(
        "--priority",
        metavar="P",
        callback=priority_value,
        help="0 (P0, most urgent) to 3 (P3); P0-P3 also accepted.",
    ),
]


def listing(
    remote: Remote, *parts: str | int, params: Params, limit: int, every: bool, noun: str
) -> list[Any]:
    """The items of one page, or of every page; says on stderr when more were left."""
    items: list[Any] = []
    page: dict[str, Any] = {}
    for page in remote.pages(*parts, params=params, limit=limit, every=every):
        items.extend(page["items"])
    if page.get("next_cursor"):
        note(f"more {noun} than shown: --all lists every one")
    return items


def parse(model: type[M], data: Any) -> M:
    """An API answer read as its schema; a different shape is a one-line error."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CliError(
            f"unexpected answer from the server ({exc.error_count()} fields differ from "
            f"{model.__name__}); are the client and the server the same version?"
        ) from exc


def emit_api_json(data: Any) -> None:
    """The API's JSON, as it came, on stdout."""
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def drop_none(**fields: object) -> dict[str, object]:
    """A request body without the fields left unset (the server's defaults apply)."""
    return {name: value for name, value in fields.items() if value is not None}
