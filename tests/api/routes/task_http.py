"""Helpers for the task and changelog route tests: URLs and reading answers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.http import API, problem_code
from tests.support.world import SLUG

TASKS = f"{API}/projects/{SLUG}/tasks"
CHANGELOG = f"{API}/projects/{SLUG}/changelog"

TASK_FIELDS = {
    "number",
    "title",
    "description",
    "active_form",
    "tracker",
    "owner",
    "status",
    "priority",
    "blocked_reason",
    "needs_agent",
    "team",
    "source",
    "outcome",
    "files",
    "verified",
    "lease_expires_at",
    "metadata",
    "version",
    "blocked_by",
    "open_blockers",
    "blocks",
    "created_by",
    "created_at",
    "updated_at",
    "completed_at",
}


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The JSON body of a successful answer."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def refused(response: httpx.Response, status: int) -> str:
    """The problem code of a refusal with this status."""
    assert response.status_code == status, response.text
    return problem_code(response)


def numbers(response: httpx.Response) -> list[int]:
    """The task numbers of a page of tasks."""
    return [task["number"] for task in ok(response)["items"]]


async def walk(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], params: dict[str, Any]
) -> list[list[dict[str, Any]]]:
    """Every page of a listing, following ``next_cursor`` to the end."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        query = params if cursor is None else {**params, "cursor": cursor}
        page = ok(await client.get(url, params=query, headers=headers))
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "the cursor never ends"
