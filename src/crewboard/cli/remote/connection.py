"""What the client commands share: the connection to one project, common options, output.

The commands are thin: they shape a request, send it, and show the answer. Every rule
(who may do what, which transition is allowed, what a value may be) is the server's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from crewboard.cli.errors import EXIT_USAGE, CliError
from crewboard.cli.output import note
from crewboard.client.credentials import resolve
from crewboard.client.rest import ApiClient, Params, segment

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


@dataclass(frozen=True, slots=True)
class Remote:
    """The API client and the project the command works in."""

    client: ApiClient
    project: str

    def path(self, *parts: str | int) -> str:
        """``/projects/{slug}/part/...``, each part quoted as one segment."""
        return "/".join(["/projects", segment(self.project), *(segment(p) for p in parts)])

    def get(self, *parts: str | int, params: Params | None = None) -> Any:
        return self.client.get(self.path(*parts), params)

    def post(self, *parts: str | int, body: dict[str, object] | None = None) -> Any:
        return self.client.post(self.path(*parts), body)

    def patch(self, *parts: str | int, body: dict[str, object]) -> Any:
        return self.client.request("PATCH", self.path(*parts), json=body)

    def delete(self, *parts: str | int, params: Params | None = None) -> Any:
        return self.client.request("DELETE", self.path(*parts), params=params)

    def listing(
        self, *parts: str | int, params: Params, limit: int, every: bool, noun: str
    ) -> list[Any]:
        """The items of one page, or of every page; says on stderr when more were left."""
        items: list[Any] = []
        page: dict[str, Any] = {}
        for page in self.client.pages(self.path(*parts), params, size=limit, follow=every):
            items.extend(page["items"])
        if page.get("next_cursor"):
            note(f"more {noun} than shown: --all lists every one")
        return items


def _token_project(client: ApiClient) -> str:
    me = client.get("/auth/me")
    project = me.get("project") if isinstance(me, dict) else None
    if isinstance(project, str) and project:
        return project
    raise CliError(
        "no project: pass --project SLUG, set CREWBOARD_PROJECT, or log in with --project",
        EXIT_USAGE,
    )


@contextmanager
def connect(project: str | None) -> Iterator[Remote]:
    """The client for the resolved credentials, and the project to work in."""
    credentials = resolve()
    with ApiClient(credentials.url, credentials.token) as client:
        slug = project or credentials.project or _token_project(client)
        yield Remote(client, slug)


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
