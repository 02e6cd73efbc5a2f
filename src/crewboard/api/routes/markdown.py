"""The seed protocol's markdown files: an agent's tracker and the project's changelog.

Both carry a strong ``ETag`` (a digest of the text), so a polling agent or a sync run sends
``If-None-Match`` and gets 304 until the file would change.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response, status
from pydantic import Field

from crewboard.api.routes.tasks import not_modified
from crewboard.edge.deps import ActorDep, SessionDep, SettingsDep
from crewboard.schemas.common import AgentName, RequestModel, Slug
from crewboard.services.tasks import TrackerService

router = APIRouter(prefix="/projects/{slug}", tags=["markdown"])
SlugPath = Annotated[Slug, Path()]
MARKDOWN = "text/markdown; charset=utf-8"
_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/markdown": {"schema": {"type": "string"}}}},
    304: {"description": "Not Modified: the If-None-Match ETag is current"},
}


def markdown_response(request: Request, text: str) -> Response:
    """The text with its strong ETag, or 304 when the client has it already."""
    etag = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
    if (cached := not_modified(request, etag)) is not None:
        return cached
    return Response(text, media_type=MARKDOWN, headers={"ETag": etag})


@router.get("/trackers/{agent}.md", response_class=Response, responses=_DOC)
async def tracker_markdown(
    slug: SlugPath,
    agent: Annotated[AgentName, Path()],
    request: Request,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """``<agent>-tracker.md``: In Progress, Pending, Blocked, Completed (docs/markdown.md)."""
    text = await TrackerService(session, settings).markdown(actor, slug, agent)
    return markdown_response(request, text)


@router.get("/changelog.md", response_class=Response, responses=_DOC)
async def changelog_markdown(
    slug: SlugPath, request: Request, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """``CHANGELOG.md``: every entry, oldest first (docs/markdown.md)."""
    text = await TrackerService(session, settings).changelog_markdown(actor, slug)
    return markdown_response(request, text)


class StyleBody(RequestModel):
    """How a file is written, as ``crewboard sync`` learned it (docs/markdown.md)."""

    style: dict[str, Any]


@router.put("/trackers/{agent}.style", status_code=status.HTTP_204_NO_CONTENT)
async def set_tracker_style(
    slug: SlugPath,
    agent: Annotated[AgentName, Path()],
    body: StyleBody,
    actor: ActorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Remember how ``<agent>-tracker.md`` is written; every render keeps it."""
    await TrackerService(session, settings).set_style(actor, slug, agent, body.style)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/changelog.style", status_code=status.HTTP_204_NO_CONTENT)
async def set_changelog_style(
    slug: SlugPath, body: StyleBody, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """Remember how ``CHANGELOG.md`` is written; every render keeps it."""
    await TrackerService(session, settings).set_style(actor, slug, None, body.style)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class RefusedLine(RequestModel):
    """One line ``crewboard sync`` could not apply."""

    line: Annotated[int, Field(ge=0, le=10_000_000)]
    text: Annotated[str, Field(max_length=500)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class SyncReport(RequestModel):
    """What one sync run could not apply of one file."""

    file: Annotated[str, Field(min_length=1, max_length=300)]
    refused: Annotated[list[RefusedLine], Field(min_length=1, max_length=50)]


@router.post("/sync/refused", status_code=status.HTTP_204_NO_CONTENT)
async def report_refused(
    slug: SlugPath, body: SyncReport, actor: ActorDep, session: SessionDep, settings: SettingsDep
) -> Response:
    """Record the lines a sync run refused (shown in the project's activity)."""
    lines = [(r.line, r.text, r.reason) for r in body.refused]
    await TrackerService(session, settings).report_refused(actor, slug, body.file, lines)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
