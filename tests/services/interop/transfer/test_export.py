"""Whole-project export and import: a round trip on the same database and across backends."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import select, text

from crewboard.config import Settings
from crewboard.database import Database, migrate
from crewboard.models import Delivery, Event, Message, Task, User
from crewboard.services.core import Conflict, Forbidden, NotFound, unit_of_work
from crewboard.services.interop.transfer import ProjectExport, plan_import
from crewboard.services.interop.transfer.records import ORDER, parse_lines
from crewboard.services.tasks import ClaimScope, Tasks
from tests.support.backends import fresh_postgres, postgres_required, sqlite_url
from tests.support.factory import Factory
from tests.support.transfer import (
    SLUG,
    SYSTEM,
    build_project,
    export_lines,
    import_lines,
    normalised,
)
from tests.support.world import person


@asynccontextmanager
async def other_backend(database: Database, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, migrated database of the backend the test is not running on."""
    if database.is_sqlite:
        try:
            manager = fresh_postgres()
            url = await manager.__aenter__()
        except (OSError, ConnectionError) as exc:
            if postgres_required():  # CI: a missing PostgreSQL fails, as everywhere else
                pytest.fail(f"PostgreSQL is required (CREWBOARD_TEST_REQUIRE_POSTGRES) but: {exc}")
            pytest.skip(f"PostgreSQL not reachable: {exc}")
    else:
        manager, url = None, sqlite_url(tmp_path)
    other = Database(Settings(database_url=url))
    try:
        await migrate(other)
        yield other
    finally:
        await other.dispose()
        if manager is not None:
            await manager.__aexit__(None, None, None)


async def test_round_trip_on_the_same_database_and_on_the_other_backend(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    await build_project(database, settings, tmp_path / "claude")
    first = await export_lines(database)
    kinds = [json.loads(line).get("type") for line in first[1:]]
    assert set(kinds) == set(ORDER), "the world holds every record type"
    assert kinds == sorted(kinds, key=ORDER.index), "records come in the importer's order"

    report = await import_lines(database, first, slug="shop-copy")
    assert report.slug == "shop-copy"
    assert report.users_created == []
    second = await export_lines(database, "shop-copy")
    assert normalised(second) == normalised(first)
    assert len(second) == len(first) + 1  # plus the import's own event

    async with other_backend(database, tmp_path) as other:
        crossed = await import_lines(other, second, create_users=True)
        assert sorted(crossed.users_created) == [
            "bot@example.com",
            "lead@example.com",
            "viewer@example.com",
        ]
        third = await export_lines(other, "shop-copy")
        assert normalised(third) == normalised(first)
        async with unit_of_work(other, write=False) as session:
            hashes = (await session.scalars(select(User.password_hash))).all()
            assert hashes == [None, None, None], "no password travels"


async def test_imported_ids_are_new_and_the_references_follow_them(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    await build_project(database, settings, tmp_path / "claude")
    await import_lines(database, await export_lines(database), slug="copy")
    async with unit_of_work(database, write=False) as session:
        by_project = await session.execute(
            select(Task.project_id, Task.number, Task.id, Task.version, Task.updated_at)
        )
        rows = by_project.all()
        originals = {(n, v, u) for p, n, _, v, u in rows if p == 1}
        copies = {(n, v, u) for p, n, _, v, u in rows if p != 1}
        assert originals == copies, "numbers, versions and timestamps are kept"
        assert len({task_id for *_, task_id, _, _ in rows}) == len(rows)
        replies = (
            await session.execute(
                select(Message.project_id, Message.reply_to).where(Message.reply_to.is_not(None))
            )
        ).all()
        for project_id, reply_to in replies:
            parent = await session.get(Message, reply_to)
            assert parent is not None
            assert parent.project_id == project_id
        read = (
            await session.execute(
                select(Delivery.project_id, Delivery.recipient, Delivery.read_at, Delivery.acked_at)
                .where(Delivery.read_at.is_not(None))
                .order_by(Delivery.message_id)
            )
        ).all()
        assert {r[1:] for r in read if r[0] == 1} == {r[1:] for r in read if r[0] != 1}
        imported = await session.scalar(select(Event).where(Event.kind == "project.imported"))
        assert imported is not None
        assert imported.data["from"] == SLUG
    async with unit_of_work(database, write=True) as session:
        # The copy is a working project: its ready queue hands out a task.
        view = await Tasks(session, settings).claim_next(
            SYSTEM, "copy", ClaimScope(anywhere=True), as_agent="qa"
        )
        task = view.task
        assert task.owner == "qa"
        assert task.status == "in_progress"


async def test_a_second_import_under_the_same_slug_is_refused(
    database: Database, settings: Settings, tmp_path: Path
) -> None:
    await build_project(database, settings, tmp_path / "claude")
    lines = await export_lines(database)
    with pytest.raises(Conflict, match="project shop exists"):
        await import_lines(database, lines)


async def test_export_reads_one_snapshot_and_only_admins_run_it(
    database: Database, factory: Factory
) -> None:
    lead = await factory.user("lead@example.com")
    await factory.project(SLUG, lead)
    async with unit_of_work(database, write=False) as session:
        await ProjectExport(session).run(SYSTEM, SLUG)
        if not database.is_sqlite:
            level = await session.scalar(text("SHOW transaction_isolation"))
            assert level == "repeatable read"
        with pytest.raises(Forbidden):
            await ProjectExport(session).run(person(lead, "lead@example.com"), SLUG)
        with pytest.raises(NotFound):
            await ProjectExport(session).run(SYSTEM, "nope")


@pytest.mark.e2e
async def test_an_export_taken_while_another_process_writes_is_one_snapshot(
    database: Database, settings: Settings, factory: Factory, repo_root: Path
) -> None:
    await factory.project(SLUG, await factory.user("lead@example.com"))
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.cli.admin.backup_writer",
        settings.database_url,
        SLUG,
        "chain",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=str(repo_root),
    )
    assert writer.stdout is not None
    try:
        for round_ in range(5):
            for _ in range(10 if round_ else 30):
                assert await asyncio.wait_for(writer.stdout.readline(), 30), "writer stopped"
            lines = await export_lines(database)
            # Every dependency and task the snapshot names is in it: the plan checks them all.
            plan = plan_import("export.jsonl", parse_lines("export.jsonl", lines)[1])
            numbers = sorted(task.number for task in plan.tasks)
            assert numbers == list(range(1, len(numbers) + 1))
            assert len(plan.dependencies) == len(numbers) - 1
    finally:
        writer.terminate()
        await writer.wait()
