"""``crewboard project`` and ``crewboard member``: projects and the people in them."""

from __future__ import annotations

from typing import Annotated

import typer

from crewboard.cli.admin.params import (
    EmailArg,
    RoleOption,
    SlugArg,
    agent_value,
    email_value,
    slug_value,
)
from crewboard.cli.admin.runner import Unit, collect, run_unit
from crewboard.cli.app import new_app
from crewboard.cli.errors import EXIT_USAGE, CliError
from crewboard.cli.output import JsonFlag, emit_json, emit_line, emit_table, when
from crewboard.models import User
from crewboard.schemas.projects import MemberRead, ProjectRead
from crewboard.services.accounts import UserService
from crewboard.services.projects import MemberView, ProjectService

project_app = new_app("Manage projects: create, list.")
member_app = new_app("Manage the people of a project: add (or change role), list, remove.")


@project_app.command("create")
def create_project(
    slug: Annotated[str, typer.Argument(metavar="SLUG", callback=slug_value)],
    name: Annotated[str | None, typer.Option(help="Display name (default: the slug).")] = None,
    owner: Annotated[
        str | None,
        typer.Option(
            metavar="EMAIL",
            callback=email_value,
            help="The project's first owner. Default: the instance's admin, when there is "
            "exactly one active admin; otherwise --owner is required.",
        ),
    ] = None,
    repo_path: Annotated[
        str | None, typer.Option(help="Where the project's repository lives.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a project. Its owner: --owner, or else the only active admin, if there is one."""

    async def work(unit: Unit) -> ProjectRead:
        owner_user = await _owner(unit, owner)
        project = await ProjectService(unit.session).create(
            unit.actor, slug=slug, name=name, repo_path=repo_path, owner_id=owner_user.id
        )
        return ProjectRead.model_validate(project)

    project = run_unit(work, write=True)
    if as_json:
        emit_json(project)
    else:
        emit_line(f"created project {project.slug} (id {project.id})")


async def _owner(unit: Unit, email: str | None) -> User:
    users = UserService(unit.session)
    if email is not None:
        return await users.by_email(unit.actor, email)
    admin = await users.sole_admin(unit.actor)
    if admin is None:
        raise CliError(
            "name the project's owner with --owner EMAIL (there is no single active admin "
            "to pick by default)",
            EXIT_USAGE,
        )
    return admin


@project_app.command("list")
def list_projects(as_json: JsonFlag = False) -> None:
    """List every project."""

    async def work(unit: Unit) -> list[ProjectRead]:
        service = ProjectService(unit.session)
        projects = await collect(
            lambda cursor, limit: service.list(unit.actor, cursor=cursor, limit=limit)
        )
        return [ProjectRead.model_validate(p) for p in projects]

    projects = run_unit(work, write=False)
    if as_json:
        emit_json(projects)
        return
    emit_table(
        "Projects",
        ["ID", "Slug", "Name", "Repository", "Created"],
        ([str(p.id), p.slug, p.name, p.repo_path or "", when(p.created_at)] for p in projects),
    )


def member_read(view: MemberView) -> MemberRead:
    """A membership as the REST API shows it."""
    return MemberRead(
        user_id=view.user.id,
        email=view.user.email,
        name=view.user.name,
        role=view.member.role,
        agent_name=view.member.agent_name,
        created_at=view.member.created_at,
    )


@member_app.command("add")
def add_member(
    project: SlugArg,
    email: EmailArg,
    role: RoleOption,
    agent: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            callback=agent_value,
            help="With --role agent (and only then): the roster agent this person acts as.",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Add a person to a project, or change the role of one already in it."""

    async def work(unit: Unit) -> MemberRead:
        view = await ProjectService(unit.session).set_member(
            unit.actor, project, email=email, role=role, agent_name=agent
        )
        return member_read(view)

    member = run_unit(work, write=True)
    if as_json:
        emit_json(member)
    else:
        emit_line(f"{member.email} is {member.role} of {project}")


@member_app.command("list")
def list_members(project: SlugArg, as_json: JsonFlag = False) -> None:
    """List a project's people and their roles."""

    async def work(unit: Unit) -> list[MemberRead]:
        service = ProjectService(unit.session)
        views = await collect(
            lambda cursor, limit: service.list_members(
                unit.actor, project, cursor=cursor, limit=limit
            )
        )
        return [member_read(v) for v in views]

    members = run_unit(work, write=False)
    if as_json:
        emit_json(members)
        return
    emit_table(
        f"Members of {project}",
        ["E-mail", "Name", "Role", "Agent", "Since"],
        ([m.email, m.name, m.role, m.agent_name or "", when(m.created_at)] for m in members),
    )


@member_app.command("remove")
def remove_member(project: SlugArg, email: EmailArg) -> None:
    """Take a person out of a project (a project keeps at least one owner)."""

    async def work(unit: Unit) -> str:
        user = await UserService(unit.session).by_email(unit.actor, email)
        await ProjectService(unit.session).remove_member(unit.actor, project, user.id)
        return user.email

    removed = run_unit(work, write=True)
    emit_line(f"removed {removed} from {project}")
