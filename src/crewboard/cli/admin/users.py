"""``crewboard user``: people (create, list, disable, enable, set-password, unlock)."""

from __future__ import annotations

from typing import Annotated

import typer

from crewboard.cli.admin.params import EmailArg, PasswordStdin, read_password
from crewboard.cli.admin.runner import Unit, collect, run_unit
from crewboard.cli.app import new_app
from crewboard.cli.errors import EXIT_USAGE, CliError
from crewboard.cli.output import JsonFlag, emit_json, emit_line, emit_table, when
from crewboard.models import User
from crewboard.schemas.users import UserRead
from crewboard.services.accounts import UserService

app = new_app("Manage people: create, list, disable, enable, set a password, unlock.")


@app.command("create")
def create_user(
    email: EmailArg,
    name: Annotated[
        str | None, typer.Option(help="Display name (default: the part before the @).")
    ] = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="Make the user an instance admin.")
    ] = False,
    password_stdin: PasswordStdin = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a user. Without --password-stdin the user has no password and signs in by token."""
    password = read_password() if password_stdin else None

    async def work(unit: Unit) -> UserRead:
        user = await UserService(unit.session, unit.settings).create(
            unit.actor, email=email, name=name, password=password, is_admin=admin
        )
        return UserRead.model_validate(user)

    user = run_unit(work, write=True)
    if as_json:
        emit_json(user)
    else:
        emit_line(f"created user {user.email} (id {user.id}{', admin' if user.is_admin else ''})")


@app.command("list")
def list_users(as_json: JsonFlag = False) -> None:
    """List every user, oldest first."""

    async def work(unit: Unit) -> list[UserRead]:
        service = UserService(unit.session)
        users = await collect(
            lambda cursor, limit: service.list(unit.actor, cursor=cursor, limit=limit)
        )
        return [UserRead.model_validate(u) for u in users]

    users = run_unit(work, write=False)
    if as_json:
        emit_json(users)
        return
    emit_table(
        "Users",
        ["ID", "E-mail", "Name", "Admin", "Status", "Created"],
        (
            [
                str(u.id),
                u.email,
                u.name,
                "yes" if u.is_admin else "",
                _status(u),
                when(u.created_at),
            ]
            for u in users
        ),
    )


def _status(user: UserRead) -> str:
    return f"disabled {when(user.disabled_at)}" if user.disabled_at else "active"


def _set_disabled(email: str, disabled: bool) -> User:
    async def work(unit: Unit) -> User:
        service = UserService(unit.session)
        user = await service.by_email(unit.actor, email)
        return await service.update(unit.actor, user.id, disabled=disabled)

    return run_unit(work, write=True)


@app.command("disable")
def disable_user(email: EmailArg) -> None:
    """Disable a user: no login, and their tokens stop working (never the last admin)."""
    user = _set_disabled(email, True)
    emit_line(f"disabled user {user.email}")


@app.command("enable")
def enable_user(email: EmailArg) -> None:
    """Enable a disabled user again."""
    user = _set_disabled(email, False)
    emit_line(f"enabled user {user.email}")


@app.command("set-password")
def set_password(email: EmailArg, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password (read from stdin with --password-stdin, which is required)."""
    if not password_stdin:
        raise CliError("give the new password on stdin with --password-stdin", EXIT_USAGE)
    password = read_password()

    async def work(unit: Unit) -> User:
        service = UserService(unit.session, unit.settings)
        user = await service.by_email(unit.actor, email)
        return await service.set_password(unit.actor, user.id, password)

    user = run_unit(work, write=True)
    emit_line(f"password set for {user.email}")


@app.command("unlock")
def unlock_user(email: EmailArg) -> None:
    """Forget a user's failed password attempts (someone kept out by guessers)."""

    async def work(unit: Unit) -> int:
        service = UserService(unit.session, unit.settings)
        user = await service.by_email(unit.actor, email)
        return await service.unlock(unit.actor, user.id)

    cleared = run_unit(work, write=True)
    emit_line(f"unlocked {email}: {cleared} failed attempt{'' if cleared == 1 else 's'} forgotten")
