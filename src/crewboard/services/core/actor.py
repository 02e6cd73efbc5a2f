"""Who is acting: resolved from a credential by the faces, checked by the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from crewboard.services.core.errors import Forbidden


class Scope(StrEnum):
    """What a credential allows."""

    READ = "read"
    WRITE = "write"


ALL_SCOPES: frozenset[str] = frozenset({Scope.READ, Scope.WRITE})


@dataclass(frozen=True, slots=True)
class Actor:
    """The authenticated identity of one request, tool call or command.

    ``project_id``/``agent_name`` are set for agent tokens: such an actor exists in that one
    project only, as that one agent, whatever its user may do elsewhere.
    """

    user_id: int | None
    label: str
    is_admin: bool = False
    project_id: int | None = None
    project_slug: str | None = None
    agent_name: str | None = None
    scopes: frozenset[str] = field(default=ALL_SCOPES)
    session_id: int | None = None
    is_system: bool = False

    @classmethod
    def system(cls) -> Actor:
        """The operator at the server's own shell (admin CLI commands on the database)."""
        return cls(user_id=None, label="system", is_admin=True, is_system=True)

    @property
    def is_agent(self) -> bool:
        """True for an agent token."""
        return self.agent_name is not None

    def require_write(self) -> None:
        """Refuse a change through a read-only credential."""
        if Scope.WRITE not in self.scopes:
            raise Forbidden("this credential is read-only")

    def require_person(self) -> None:
        """Refuse actions reserved for people (agents cannot mint tokens or create projects)."""
        if self.is_agent:
            raise Forbidden("agent tokens cannot do this; use a person's credential")

    def require_admin(self) -> None:
        """Refuse unless the actor is an instance admin."""
        if not self.is_admin or self.is_agent:
            raise Forbidden("only an admin can do this")
