"""The roster of a project's agents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from crewboard.edge.deps import ActorDep, SessionDep
from crewboard.schemas.common import AgentName, Cursor, Limit, Page, Slug
from crewboard.schemas.projects import AgentCreate, AgentRead, AgentUpdate
from crewboard.services.projects import RosterService

router = APIRouter(prefix="/projects/{slug}/agents", tags=["agents"])
SlugPath = Annotated[Slug, Path()]
NamePath = Annotated[AgentName, Path()]


@router.get("")
async def list_agents(
    slug: SlugPath,
    actor: ActorDep,
    session: SessionDep,
    cursor: Annotated[Cursor | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 100,
) -> Page[AgentRead]:
    """The roster."""
    page = await RosterService(session).list(actor, slug, cursor=cursor, limit=limit)
    return Page[AgentRead](
        items=[AgentRead.model_validate(a) for a in page.items], next_cursor=page.next_cursor
    )


@router.post("", status_code=status.HTTP_201_CREATED)
async def add_agent(
    slug: SlugPath, body: AgentCreate, actor: ActorDep, session: SessionDep
) -> AgentRead:
    """Put an agent on the roster (members and owners)."""
    agent = await RosterService(session).add(
        actor, slug, name=body.name, domain=body.domain, tracker_path=body.tracker_path
    )
    return AgentRead.model_validate(agent)


@router.get("/{name}")
async def get_agent(
    slug: SlugPath, name: NamePath, actor: ActorDep, session: SessionDep
) -> AgentRead:
    """One agent."""
    return AgentRead.model_validate(await RosterService(session).get(actor, slug, name))


@router.patch("/{name}")
async def update_agent(
    slug: SlugPath, name: NamePath, body: AgentUpdate, actor: ActorDep, session: SessionDep
) -> AgentRead:
    """Change an agent's domain or tracker path (members and owners)."""
    agent = await RosterService(session).update(
        actor, slug, name, domain=body.domain, tracker_path=body.tracker_path
    )
    return AgentRead.model_validate(agent)


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_agent(
    slug: SlugPath, name: NamePath, actor: ActorDep, session: SessionDep
) -> None:
    """Take an agent off the roster (owners)."""
    await RosterService(session).remove(actor, slug, name)
