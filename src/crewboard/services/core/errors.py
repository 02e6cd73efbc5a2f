"""Domain errors raised by services and mapped once per face (HTTP, MCP, CLI)."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every expected failure. ``code`` is stable and machine-readable."""

    code: ClassVar[str] = "error"
    title: ClassVar[str] = "Request failed"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail_code = code or self.code
        self.details = details
        # Work the service did before refusing that must stay (a failed-login record).
        self.keep_changes = False


class Invalid(DomainError):
    """The input breaks a rule the schema cannot express."""

    code = "invalid"
    title = "Invalid request"


class Unauthenticated(DomainError):
    """No valid credential."""

    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    """The actor is known but may not do this."""

    code = "forbidden"
    title = "Forbidden"


class NotFound(DomainError):
    """No such record, or none the actor may see (the two are not told apart)."""

    code = "not-found"
    title = "Not found"


class Conflict(DomainError):
    """The request collides with the current state (duplicate, stale version, already claimed)."""

    code = "conflict"
    title = "Conflict"


class RateLimited(DomainError):
    """Too many attempts; try again after ``retry_after`` seconds."""

    code = "rate-limited"
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class PreconditionRequired(Invalid):
    """A write must say which version it is based on, and did not."""

    code = "version-required"
    title = "Precondition required"
