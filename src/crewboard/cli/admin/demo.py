"""``crewboard demo``: seed a living demo project, then open the dashboard."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from crewboard.cli.admin.runner import Unit, open_database, run_unit
from crewboard.cli.admin.settings import load_settings
from crewboard.cli.output import emit_line
from crewboard.database import migrate
from crewboard.services.interop import DemoLogin, seed_demo


def demo_command(
    project: Annotated[str, typer.Option("--project", "-p", help="Slug of the demo project.")] = (
        "demo"
    ),
    email: Annotated[
        str | None,
        typer.Option(
            metavar="EMAIL",
            help="Who owns it: an existing user, or a new one with a random password. "
            "Default: the only admin (you, after `crewboard user create … --admin`); on an "
            "instance with nobody yet, a new demo@example.com.",
        ),
    ] = None,
) -> None:
    """Seed a demo project with a past week: the six agents of the template, two teams, tasks
    in every state, blocks and answers, messages and changelog entries at the times they
    happened. Refuses if the project exists."""

    settings = load_settings()

    async def bring_to_head() -> None:
        async with open_database(settings) as database:
            await migrate(database)

    asyncio.run(bring_to_head())  # like `crewboard serve`: a fresh database just works

    async def work(unit: Unit) -> DemoLogin:
        return await seed_demo(unit.session, unit.settings, slug=project, email=email)

    login = run_unit(work, write=True)
    emit_line(f"seeded project {project} (a week of work), owned by {login.email}")
    if login.password is not None:
        emit_line(f"log in as {login.email} with password {login.password} (shown once)")
    else:
        emit_line(f"log in as {login.email} with your own password")
    emit_line(f"open http://{settings.host}:{settings.port}/p/{project} (`crewboard serve`)")
