"""People, their credentials (web sessions and API tokens), login attempts and setup secrets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crewboard.models.base import Base, BigId, utcnow


class User(Base):
    """A person. Agents are not users: they act through tokens a member issued."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # None: this user cannot log in with a password (tokens only).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]


class AuthSession(Base):
    """A credential: a web login (``web``), an API token (``api``), or a crew credential
    (``crew``: one project, no agent; it only exchanges itself for an agent token). Only the
    hash is stored."""

    __tablename__ = "sessions"
    __table_args__ = (
        CheckConstraint("kind IN ('web', 'api', 'crew')", name="kind"),
        CheckConstraint(
            "kind = 'crew' OR (project_id IS NULL) = (agent_name IS NULL)", name="agent_binding"
        ),
        CheckConstraint(
            "kind <> 'crew' OR (project_id IS NOT NULL AND agent_name IS NULL)",
            name="crew_binding",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))  # first characters, to recognise a token
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str | None] = mapped_column(String(100))
    scopes: Mapped[list[str]]
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    agent_name: Mapped[str | None] = mapped_column(String(64))
    # An agent token a crew credential exchanged itself for: revoking the crew credential
    # revokes it (services/accounts/crew.py).
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """One password login attempt, kept for the length of the throttling window."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_client_at", "client", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    succeeded: Mapped[bool]


class SetupSecret(Base):
    """A one-time secret that lets the first admin be created on an empty instance."""

    __tablename__ = "setup_secrets"

    id: Mapped[int] = mapped_column(primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
