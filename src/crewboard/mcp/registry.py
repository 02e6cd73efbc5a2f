"""The tool registry: a tool is a name, a short description, its argument model, whether
it writes, and a handler that calls the services inside the call's unit of work."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.services.core import Actor

# No single result may pass about 20,000 tokens; at ~4 bytes a token, this many characters
# of JSON leaves room for the envelope. Paged tools shrink their page until they fit.
RESULT_BUDGET = 60_000


@dataclass(frozen=True, slots=True)
class Call:
    """One tool call: its transaction, the settings, who calls, and in which project."""

    session: AsyncSession
    settings: Settings
    actor: Actor
    slug: str


Handler = Callable[[Call, Any], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as ``tools/list`` shows it and ``tools/call`` runs it."""

    name: str
    description: str
    args: type[BaseModel]
    handler: Handler
    write: bool | Callable[[Any], bool]  # or decided by the arguments

    def writes(self, args: BaseModel) -> bool:
        """Whether this call needs a write transaction."""
        return self.write(args) if callable(self.write) else self.write


def tool(
    name: str, description: str, args: type[BaseModel], *, write: bool | Callable[[Any], bool]
) -> Callable[[Handler], ToolSpec]:
    """Declare a tool around its handler."""

    def wrap(handler: Handler) -> ToolSpec:
        return ToolSpec(name, description, args, handler, write)

    return wrap


def dumps(value: object) -> str:
    """Compact JSON (results cost tokens)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


async def fit(
    fetch: Callable[[int], Awaitable[dict[str, Any]]], limit: int, budget: int = RESULT_BUDGET
) -> dict[str, Any]:
    """A page of at most ``limit`` items whose JSON fits ``budget``: a page that is too big is
    fetched again, smaller (its next cursor then starts after what was kept)."""
    while True:
        page = await fetch(limit)
        if limit == 1 or len(dumps(page)) <= budget:
            return page
        limit = max(1, limit // 2)
