"""The connection to one project: the API client, and the project's paths.

Used by the client commands and by ``sync``; the server holds every rule, this only shapes
requests and reads answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from crewboard.client.credentials import resolve
from crewboard.client.errors import BAD_REQUEST, ClientError
from crewboard.client.rest import TIMEOUT, ApiClient, Params, segment

__all__ = ["Remote", "connect"]


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

    def pages(
        self, *parts: str | int, params: Params, limit: int, every: bool
    ) -> Iterator[dict[str, Any]]:
        """The first page of a listing, or with ``every`` each page in turn."""
        return self.client.pages(self.path(*parts), params, size=limit, follow=every)


def _token_project(client: ApiClient) -> str:
    me = client.get("/auth/me")
    project = me.get("project") if isinstance(me, dict) else None
    if isinstance(project, str) and project:
        return project
    raise ClientError(
        "no project: pass --project SLUG, set CREWBOARD_PROJECT, or log in with --project",
        BAD_REQUEST,
    )


@contextmanager
def connect(project: str | None, timeout: httpx.Timeout = TIMEOUT) -> Iterator[Remote]:
    """The client for the resolved credentials, and the project to work in."""
    credentials = resolve()
    with ApiClient(credentials.url, credentials.token, timeout) as client:
        slug = project or credentials.project or _token_project(client)
        yield Remote(client, slug)
