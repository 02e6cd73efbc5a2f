"""Password guessing limits, shared by the login and by a password change's
``current_password`` (both are a guess at the same secret).

Failures are counted within ``login_window_seconds`` under three keys, so that nobody can
keep a known person out from one address: per e-mail *from one client address*
(``login_max_failures_per_email``), per client address over all e-mails
(``login_max_failures_per_client``), and per e-mail over all addresses
(``login_max_failures_per_email_total``, high: slows a guesser with many addresses). An
admin clears an e-mail's failures (``crewboard user unlock``, ``DELETE
/users/{id}/login-failures``, or by setting its password). Attempts are rows in the
database, so the limits hold across server processes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from crewboard.config import Settings
from crewboard.models import LoginAttempt
from crewboard.services.core import RateLimited

CLIENT_MAX = 64


class LoginThrottle:
    """Counts and checks password failures (see the module's note)."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings

    async def check(self, email: str, client: str, now: datetime) -> None:
        """RateLimited (429, Retry-After) when any limit is reached."""
        since = now - timedelta(seconds=self.settings.login_window_seconds)
        # Old attempts are no longer needed; drop them as we go.
        await self.session.execute(delete(LoginAttempt).where(LoginAttempt.at < since))
        by_email = LoginAttempt.email == email
        by_client = LoginAttempt.client == client[:CLIENT_MAX]
        limits: tuple[tuple[ColumnElement[bool], int], ...] = (
            (and_(by_email, by_client), self.settings.login_max_failures_per_email),
            (by_client, self.settings.login_max_failures_per_client),
            (by_email, self.settings.login_max_failures_per_email_total),
        )
        for where, limit in limits:
            failures = await self.session.scalar(
                select(func.count())
                .select_from(LoginAttempt)
                .where(where, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
            )
            if (failures or 0) >= limit:
                raise RateLimited(
                    "too many failed attempts; wait and try again",
                    retry_after=self.settings.login_window_seconds,
                )

    def record(self, email: str, client: str, now: datetime, *, succeeded: bool) -> None:
        """One attempt (a failed one must be kept although its request fails:
        the caller's error sets ``keep_changes``)."""
        self.session.add(
            LoginAttempt(email=email, client=client[:CLIENT_MAX], at=now, succeeded=succeeded)
        )


async def clear_failures(session: AsyncSession, email: str) -> int:
    """Forget an e-mail's failed attempts (an admin's reset); how many."""
    result = await session.execute(
        delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(False))
    )
    return int(getattr(result, "rowcount", 0) or 0)
