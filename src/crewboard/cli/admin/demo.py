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
        str,
        typer.Option(help="Who owns it: an existing user, or a new one with a random password."),
    ] = "demo@example.com",
) -> None:
    """Seed a demo project: the six agents of the template, teams, tasks in every state,
    messages and changelog entries. Refuses if the project exists."""

    settings = load_settings()

    async def bring_to_head() -> None:
        async with open_database(settings) as database:
            await migrate(database)

    asyncio.run(bring_to_head())  # like `crewboard serve`: a fresh database just works

    async def work(unit: Unit) -> DemoLogin:
        return await seed_demo(unit.session, unit.settings, slug=project, email=email)

    login = run_unit(work, write=True)
    emit_line(f"seeded project {project}: start `crewboard serve`, open http://127.0.0.1:8765/")
    if login.password is not None:
        emit_line(f"log in as {login.email} with password {login.password} (shown once)")
    else:
        emit_line(f"log in as {login.email} with that user's own password")
