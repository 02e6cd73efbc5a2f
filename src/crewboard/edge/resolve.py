"""Who a credential is, inside the caller's own unit of work (request or tool call)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.edge.credentials import Accepts, Credential
from crewboard.edge.last_use import note_use
from crewboard.edge.rate import Budgets
from crewboard.services.accounts import AuthService
from crewboard.services.core import Actor


async def resolve_actor(
    session: AsyncSession,
    settings: Settings,
    credential: Credential,
    accepts: Accepts,
    *,
    write: bool,
    budgets: Budgets | None,
    slug: str | None = None,
) -> Actor:
    """The actor behind ``credential`` if ``accepts`` admits it; its use is noted (last_use)
    and, for a write, taken from its write budget (``budgets``: the app's, edge/rate.py).

    The same statement resolves the caller's access to the project the call is about: the
    ``slug`` the request names, or, where ``accepts`` takes agent tokens only (MCP), the
    token's own project (services/accounts/auth.py)."""
    result = await AuthService(session, settings).authenticate(
        credential.token, slug=slug, own_project=accepts.agent_only
    )
    accepts.admit(result)
    if write and budgets is not None and result.actor.session_id is not None:
        budgets.write(result.actor.session_id)
    await note_use(session, settings, result, write=write)
    return result.actor
