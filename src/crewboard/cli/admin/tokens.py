"""``crewboard token``: API tokens for people and for agents (create, list, revoke)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from crewboard.cli.admin.params import agent_value, duration_value, email_value, slug_value
from crewboard.cli.admin.runner import Unit, collect, run_unit
from crewboard.cli.app import new_app
from crewboard.cli.errors import EXIT_USAGE, CliError
from crewboard.cli.output import JsonFlag, emit_json, emit_line, emit_table, note, when
from crewboard.models import utcnow
from crewboard.schemas.tokens import TokenIssued, TokenRead
from crewboard.services.accounts import AuthService, CrewService, UserService
from crewboard.services.core import parse_duration
from crewboard.services.projects import ProjectService

app = new_app("Manage API tokens: create (shown once), list, revoke.")


@app.command("create")
def create_token(
    user: Annotated[
        str,
        typer.Option(metavar="EMAIL", callback=email_value, help="Whose token this is."),
    ],
    project: Annotated[
        str | None,
        typer.Option(metavar="SLUG", callback=slug_value, help="With --agent: an agent token."),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            callback=agent_value,
            help="With --project: the token acts as this roster agent, in that project only.",
        ),
    ] = None,
    expires_in: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            callback=duration_value,
            help="Lifetime: 30m, 12h, 30d or 2w (default: CREWBOARD_TOKEN_DEFAULT_DAYS).",
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="A label to recognise the token by.")] = None,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="The token may read but not change anything.")
    ] = False,
    crew: Annotated[
        bool,
        typer.Option(
            "--crew",
            help="With --project: a crew credential, which only exchanges itself for tokens of "
            "the roster agents this person may act as (one per teammate; docs/claude-code.md).",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Issue a token and print it alone on stdout (it is never shown again).

    Use it as TOKEN=$(crewboard token create --user EMAIL ...).
    """
    lifetime = parse_duration(expires_in) if expires_in is not None else None

    if crew and (project is None or agent is not None or read_only):
        raise CliError("--crew needs --project, and takes no --agent or --read-only", EXIT_USAGE)

    async def work(unit: Unit) -> TokenIssued:
        owner = await UserService(unit.session).by_email(unit.actor, user)
        if crew and project is not None:
            made = await CrewService(unit.session, unit.settings).create(
                unit.actor, project, expires_in=lifetime, name=name, user_id=owner.id
            )
            return TokenIssued(
                **TokenRead.model_validate(made.record).model_dump(), token=made.token
            )
        issued = await AuthService(unit.session, unit.settings).create_token(
            unit.actor,
            user_id=owner.id,
            project_slug=project,
            agent_name=agent,
            expires_in=lifetime,
            name=name,
            read_only=read_only,
        )
        read = TokenRead.model_validate(issued.record)
        return TokenIssued(**read.model_dump(), token=issued.token)

    issued = run_unit(work, write=True)
    if as_json:
        emit_json(issued)
        return
    emit_line(issued.token)
    bound = f" as agent {agent} in {project}" if agent else ""
    bound = f" (crew credential of {project})" if crew else bound
    expires = when(issued.expires_at)
    note(f"token {issued.id} for {user.strip().lower()}{bound}, expires {expires} UTC")


@dataclass(frozen=True, slots=True)
class _Listing:
    tokens: list[TokenRead]
    emails: dict[int, str]
    slugs: dict[int, str]


@app.command("list")
def list_tokens(
    user: Annotated[
        str | None,
        typer.Option(metavar="EMAIL", callback=email_value, help="Only this person's tokens."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """List API tokens (never the secrets), everyone's or one person's."""

    async def work(unit: Unit) -> _Listing:
        users, projects = UserService(unit.session), ProjectService(unit.session)
        auth = AuthService(unit.session, unit.settings)
        user_id = (await users.by_email(unit.actor, user)).id if user is not None else None
        tokens = await collect(
            lambda cursor, limit: auth.list_tokens(
                unit.actor, user_id=user_id, cursor=cursor, limit=limit
            )
        )
        people = await collect(lambda c, n: users.list(unit.actor, cursor=c, limit=n))
        slugs = await collect(lambda c, n: projects.list(unit.actor, cursor=c, limit=n))
        return _Listing(
            [TokenRead.model_validate(t) for t in tokens],
            {u.id: u.email for u in people},
            {p.id: p.slug for p in slugs},
        )

    listing = run_unit(work, write=False)
    if as_json:
        emit_json(listing.tokens)
        return
    emit_table(
        "API tokens",
        ["ID", "User", "Name", "Starts with", "Scopes", "Agent", "Expires", "Last used", "Status"],
        (
            [
                str(t.id),
                listing.emails.get(t.user_id, str(t.user_id)),
                t.name or "",
                t.hint,
                ",".join(t.scopes),
                f"{t.agent_name} in {listing.slugs.get(t.project_id, '?')}"
                if t.agent_name and t.project_id is not None
                else "",
                when(t.expires_at),
                when(t.last_used_at),
                _status(t),
            ]
            for t in listing.tokens
        ),
    )


def _status(token: TokenRead) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= utcnow() else "active"


@app.command("revoke")
def revoke_token(
    token_id: Annotated[
        int, typer.Argument(metavar="ID", min=1, max=2**31 - 1, help="The token's id.")
    ],
) -> None:
    """Revoke a token (revoking twice is harmless)."""

    async def work(unit: Unit) -> None:
        await AuthService(unit.session, unit.settings).revoke_token(unit.actor, token_id)

    run_unit(work, write=True)
    emit_line(f"revoked token {token_id}")
