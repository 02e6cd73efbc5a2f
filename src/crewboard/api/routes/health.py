"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from crewboard.database import current_revision, head_revision
from crewboard.edge.deps import DatabaseDep

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


_READY: dict[str, object] = {
    "type": "object",
    "required": ["status"],
    "properties": {"status": {"type": "string"}},
}


@router.get(
    "/readyz",
    response_model=None,
    responses={
        200: {"content": {"application/json": {"schema": _READY}}},
        503: {"description": "Not ready", "content": {"application/json": {"schema": _READY}}},
    },
)
async def readyz(database: DatabaseDep) -> JSONResponse:
    """The database answers and its schema is the one this code expects."""
    try:
        async with database.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        revision = await current_revision(database)
    except (SQLAlchemyError, OSError) as exc:
        logger.warning("not ready: database unreachable: %s", exc)
        return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, 503)
    expected = head_revision()
    if revision != expected:
        return JSONResponse(
            {
                "status": "unavailable",
                "reason": "schema not migrated",
                "revision": revision,
                "expected": expected,
            },
            503,
        )
    return JSONResponse({"status": "ok", "revision": revision})
