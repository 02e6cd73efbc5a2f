"""The problem+json error responses every route may give, declared once for the OpenAPI spec."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

PROBLEM_MEDIA_TYPE = "application/problem+json"
_REF = {"$ref": "#/components/schemas/Problem"}

# RFC 9457 with crewboard's members (middleware/errors.py); extra members stay allowed, since a
# domain error adds its own details (``field``, ``errors``, ``limit``, ``tasks`` …).
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "urn:crewboard:problem:<code>, stable"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": ["string", "null"]},
        "field": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}

_STATUSES = {
    400: "Malformed JSON body",
    401: "No, or a bad, credential",
    403: "Not allowed to this caller",
    404: "No such resource (or not visible to this caller)",
    405: "Method not allowed",
    409: "Conflicts with the current state",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request",
    428: "A precondition (version or If-Match) is required",
    429: "Rate limited (see Retry-After)",
    503: "Database busy (see Retry-After)",
}

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": {PROBLEM_MEDIA_TYPE: {"schema": _REF}}}
    for status, text in _STATUSES.items()
}


def declare_problem_schema(app: FastAPI) -> None:
    """Add the Problem schema to the app's generated spec (the responses refer to it)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        spec = generate()
        spec.setdefault("components", {}).setdefault("schemas", {}).setdefault(
            "Problem", PROBLEM_SCHEMA
        )
        return spec

    app.openapi = openapi  # type: ignore[method-assign]
