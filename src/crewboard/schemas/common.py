"""Shared schema pieces: strict request models, bounded strings, pages."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crewboard.services.core import (
    AGENT_NAME_MAX,
    AGENT_NAME_PATTERN,
    CURSOR_MAX,
    MAX_LIMIT,
    NAME_MAX,
    REQUEST_STRING_MAX,
    SLUG_MAX,
    SLUG_PATTERN,
)

T = TypeVar("T")


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are refused, types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=REQUEST_STRING_MAX)


class ResponseModel(BaseModel):
    """Base of response bodies, built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class Page(ResponseModel, Generic[T]):
    """A page of results; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[T]
    next_cursor: str | None


Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=SLUG_MAX)]
AgentName = Annotated[str, StringConstraints(pattern=AGENT_NAME_PATTERN, max_length=AGENT_NAME_MAX)]
DisplayName = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=CURSOR_MAX)]
