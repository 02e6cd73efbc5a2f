"""``crewboard init`` at the service level: the sample ``.claude/`` folder into a project, on
both databases; nothing silently lost, nothing imported twice."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models.tasks import Task
from crewboard.services.core import Actor, Conflict, Invalid, unit_of_work
from crewboard.services.interop.repo import InitReport, RepoImport, plan_import, read_repo
from crewboard.services.markdown import HEADING, parse_tracker
from crewboard.services.projects import RosterService
from crewboard.services.tasks import ChangelogService, TaskFilter, Tasks, TrackerService
from tests.support import repo_samples as sample
from tests.support.database import events, row_counts
from tests.support.factory import Factory

SYSTEM = Actor.system()
SLUG = "shop"
BACKEND, FRONTEND, QA = (f".claude/trackers/{a}-tracker.md" for a in ("backend", "frontend", "qa"))


async def _init(
    database: Database,
    settings: Settings,
    root: Path,
    *,
    agent: str | None = None,
    owner: str | None = None,
) -> InitReport:
    plan = plan_import(read_repo(root), changelog_agent=agent)
    async with unit_of_work(database, write=True) as session:
        return await RepoImport(session, settings).run(
            SYSTEM, SLUG, plan, owner=owner, repo_path=str(root)
        )


async def _tasks(
    database: Database, settings: Settings
) -> list[tuple[Task, list[int], int | None]]:
    async with unit_of_work(database, write=False) as session:
        service = Tasks(session, settings)
        listed = (await service.list_views(SYSTEM, SLUG, TaskFilter(), limit=200)).items
        return [(v.task, v.blocked_by, v.source) for v in listed]


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def test_init_imports_the_roster_every_task_and_the_changelog(
    database: Database, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    await factory.user("lead@example.com", admin=True)
    report = await _init(database, settings, sample.write_repo(tmp_path))
    assert report.project_created
    assert report.agents_added == [*sorted(sample.DOMAINS), "devops"]
    assert report.tasks == {"in_progress": 3, "pending": 5, "blocked": 3, "completed": 4}
    assert report.numbered == [
        (BACKEND, 7, None, 11),
        (BACKEND, 11, None, 12),
        (BACKEND, 16, None, 13),
        (BACKEND, 20, None, 14),
        (FRONTEND, 8, 2, 15),
        (FRONTEND, 9, None, 16),
    ]
    assert report.entries == 3

    async with unit_of_work(database, write=False) as session:
        roster = (await RosterService(session).list(SYSTEM, SLUG)).items
    assert {a.name: a.domain for a in roster} == {**sample.DOMAINS, "devops": ""}

    b, f, q = sample.BACKEND, sample.FRONTEND, sample.QA
    got = {
        t.number: (
            t.tracker,
            t.status,
            t.owner,
            t.title,
            t.priority,
            t.blocked_reason,
            t.needs_agent,
            t.outcome,
            t.files,
            t.verified,
            t.completed_at,
            blockers,
            source,
            (t.meta["init"]["file"], t.meta["init"]["line"]),
            t.lease_expires_at,
        )
        for t, blockers, source in await _tasks(database, settings)
    }
    none: tuple[None, None, None, list[str], None, None] = (None, None, None, [], None, None)
    assert got == {
        1: (
            "backend",
            "completed",
            "backend",
            "Orders table",
            2,
            None,
            None,
            "orders table and migration",
            ["src/orders.py", "migrations/0007.py"],
            "pytest -q",
            _day("2025-03-04"),
            [],
            None,
            (BACKEND, sample.line_of(b, "#1 Orders")),
            None,
        ),
        2: (
            "backend",
            "in_progress",
            "backend",
            "Orders API",
            1,
            *none,
            [1],
            None,
            (BACKEND, sample.line_of(b, "#2 [P1]")),
            None,
        ),
        3: (
            "frontend",
            "in_progress",
            "frontend",
            "Checkout page",
            2,
            *none,
            [2],
            None,
            (FRONTEND, sample.line_of(f, "#3 Checkout")),
            None,
        ),
        5: (
            "backend",
            "blocked",
            "backend",
            "Refund flow",
            2,
            "needs the refund rules",
            "domain-expert",
            None,
            [],
            None,
            None,
            [],
            None,
            (BACKEND, sample.line_of(b, "#5 Refund")),
            None,
        ),
        6: (
            "frontend",
            "blocked",
            "frontend",
            "Payment form",
            2,
            "PSP sandbox down",
            None,
            None,
            [],
            None,
            None,
            [],
            None,
            (FRONTEND, sample.line_of(f, "#6 Payment")),
            None,
        ),
        7: (
            "backend",
            "pending",
            "devops",
            "Review the orders migration",
            0,
            *none,
            [],
            1,
            (BACKEND, sample.line_of(b, "#7 [P0]")),
            None,
        ),
        8: (
            "frontend",
            "completed",
            "frontend",
            "Landing page",
            2,
            None,
            None,
            "shipped",
            [],
            None,
            _day("2025-02-28"),
            [],
            None,
            (FRONTEND, sample.line_of(f, "#8 Landing")),
            None,
        ),
        9: (
            "qa",
            "pending",
            None,
            "Regression suite for checkout",
            1,
            *none,
            [3],
            None,
            (QA, sample.line_of(q, "#9 [P1]")),
            None,
        ),
        10: (
            "qa",
            "completed",
            "qa",
            "Smoke tests",
            2,
            None,
            None,
            "all green",
            ["tests/smoke.py"],
            "CI run 118",
            _day("2025-03-05"),
            [],
            None,
            (QA, sample.line_of(q, "#10 Smoke")),
            None,
        ),
        11: (
            "backend",
            "in_progress",
            "backend",
            "Payment webhooks",
            2,
            *none,
            [],
            None,
            (BACKEND, sample.line_of(b, "Payment webhooks")),
            None,
        ),
        12: (
            "backend",
            "pending",
            None,
            "Add rate limiting (needs the gateway numbers first)",  # wrapped over two lines
            2,
            *none,
            [],
            None,
            (BACKEND, sample.line_of(b, "Add rate limiting")),
            None,
        ),
        13: (
            "backend",
            "blocked",
            "backend",
            "Invoice export waiting on accounting",
            2,
            "Invoice export waiting on accounting",
            None,
            None,
            [],
            None,
            None,
            [],
            None,
            (BACKEND, sample.line_of(b, "Invoice export")),
            None,
        ),
        14: (
            "backend",
            "completed",
            "backend",
            "Fixed the login redirect",
            2,
            None,
            None,
            None,
            ["src/auth.py"],
            "manual login",
            _day("2025-03-06"),
            [],
            None,
            (BACKEND, sample.line_of(b, "login redirect")),
            None,
        ),
        15: (
            "frontend",
            "pending",
            None,
            "Cart drawer",
            2,
            *none,
            [],
            None,
            (FRONTEND, sample.line_of(f, "#2 Cart")),
            None,
        ),
        16: (
            "frontend",
            "pending",
            None,
            "Empty-state illustrations",
            2,
            *none,
            [],
            None,
            (FRONTEND, sample.line_of(f, "Empty-state")),
            None,
        ),
    }

    async with unit_of_work(database, write=False) as session:
        entries = (await ChangelogService(session, settings).list(SYSTEM, SLUG)).items
    assert [
        (
            v.entry.title,
            v.entry.agent,
            v.entry.created_at,
            v.entry.problem,
            v.entry.fix,
            v.entry.files,
            v.entry.verification,
            v.task_numbers,
        )
        for v in entries
    ] == [
        (
            "Orders table",
            "backend",
            _day("2025-03-04"),
            "no place to store orders",
            "added the table and its migration",
            ["src/orders.py", "migrations/0007.py"],
            "pytest -q",
            [1, 2],
        ),
        (
            "Login redirect",
            "backend",
            _day("2025-03-06"),
            "users landed on a 404 after login",
            "redirect to the dashboard",
            ["src/auth.py"],
            "manual login",
            [],
        ),
        (
            "Checkout styles",
            "frontend",
            _day("2025-03-07"),
            "the checkout looked unfinished",
            "new styles",
            [],
            "",
            [3],
        ),
    ]
    assert [e.data for e in await events(database, "project.initialised")] == [
        {
            "agents_added": report.agents_added,
            "tasks": report.tasks,
            "changelog_entries": 3,
            "not_imported": len(report.notes),
        }
    ]


async def test_every_line_is_imported_or_reported(
    database: Database, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    await factory.user("lead@example.com", admin=True)
    report = await _init(database, settings, sample.write_repo(tmp_path))
    reported = {(n.path, n.line): n.reason for n in report.notes}
    imported = {
        (t.meta["init"]["file"], t.meta["init"]["line"])
        for t, _, _ in await _tasks(database, settings)
    }
    for agent, text in sample.TRACKERS.items():
        path = f".claude/trackers/{agent}-tracker.md"
        parsed = parse_tracker(text)
        kept = {*parsed.style.preamble, *(k for _, s in parsed.style.sections for k in s.empty)}
        wrapped = {
            item.line + n
            for item in parsed.items
            for n in range(1, (item.task.source or "").count("\n") + 1)
        }
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip() or line in kept or number in wrapped or line.startswith("<!--"):
                continue  # the file's own text (kept as its style), or a task's wrapped line
            if HEADING.fullmatch(line) and (path, number) not in reported:
                continue  # a title or a tracker section
            # Imported, or reported; a line imported without one of its parts is both.
            assert (path, number) in imported or (path, number) in reported, (path, line)
            if "not imported" in reported.get((path, number), ""):
                assert (path, number) not in imported
    assert [(n.path, n.line, n.reason) for n in report.notes] == [
        (
            ".claude/CHANGELOG.md",
            34,
            "the entry has no verification (imported with that part empty)",
        ),
        (".claude/CHANGELOG.md", 34, "no task #77 in the trackers; link left out"),
        (FRONTEND, 5, "owner 'designer bob' is not a valid agent name; not imported"),
        (FRONTEND, 17, "not a tracker section"),
        (FRONTEND, 18, "in a section that is not a tracker section"),
        (".claude/trackers/notes.txt", 0, "not a tracker (<agent>-tracker.md); not read"),
        (QA, 10, "no task #42 in the trackers; link left out"),
        (QA, 19, "2 tasks are not in the file, so they cannot be imported"),
    ]
    # A changelog heading is an imported entry or a reported one: all three are imported.
    headings = [line for line in sample.CHANGELOG.split("\n") if line.startswith("## ")]
    assert len(headings) == report.entries == 3

    # The trackers crewboard renders now hold every imported task of the agent, unchanged.
    async with unit_of_work(database, write=False) as session:
        text = await TrackerService(session, settings).markdown(SYSTEM, SLUG, "backend")
    numbers = sorted(i.task.number or 0 for i in parse_tracker(text).items)
    assert numbers == [1, 2, 5, 7, 11, 12, 13, 14]


async def test_running_twice_is_refused_and_changes_nothing(
    database: Database, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    await factory.user("lead@example.com", admin=True)
    root = sample.write_repo(tmp_path)
    await _init(database, settings, root)
    before = await row_counts(database)
    with pytest.raises(Conflict, match="already has 15 tasks and 3 changelog entries"):
        await _init(database, settings, root)
    assert await row_counts(database) == before


async def test_an_existing_project_keeps_its_roster_and_agents_only_rerun(
    database: Database, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    root_id = await factory.user("root@example.com", admin=True)
    await factory.user("lead@example.com")
    await factory.project(SLUG, root_id)
    await factory.agent(SLUG, "backend", "kept as it was")
    (tmp_path / ".claude/agents").mkdir(parents=True)
    (tmp_path / ".claude/agents/backend.md").write_text("# Backend\n")
    (tmp_path / ".claude/agents/qa.md").write_text("# QA\n")
    first = await _init(database, settings, tmp_path, owner="lead@example.com")
    assert (first.project_created, first.agents_added, first.agents_kept) == (
        False,
        ["qa"],
        ["backend"],
    )
    again = await _init(database, settings, tmp_path)  # no tasks, no entries: nothing to add
    assert (again.agents_added, again.agents_kept) == ([], ["backend", "qa"])
    async with unit_of_work(database, write=False) as session:
        roster = (await RosterService(session).list(SYSTEM, SLUG)).items
    assert [(a.name, a.domain) for a in roster] == [("backend", "kept as it was"), ("qa", "QA")]


async def test_a_new_project_needs_an_owner_when_there_is_no_single_admin(
    database: Database, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    await factory.user("a@example.com", admin=True)
    await factory.user("b@example.com", admin=True)
    root = sample.write_repo(tmp_path)
    before = await row_counts(database)
    with pytest.raises(Invalid, match="--owner EMAIL"):
        await _init(database, settings, root)
    assert await row_counts(database) == before
    report = await _init(database, settings, root, owner="b@example.com")
    assert report.project_created


async def test_changelog_entries_without_an_agent(
    database: Database, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    await factory.user("lead@example.com", admin=True)
    (tmp_path / ".claude").mkdir()
    (tmp_path / ".claude/CHANGELOG.md").write_text(
        "## Nameless\n\n**Problem:** p\n**Fix:** f\n**Verification:** v\n"
    )
    plan = plan_import(read_repo(tmp_path))
    assert [(n.line, n.reason) for n in plan.notes] == [
        (
            1,
            (
                "the entry names no agent (add '- Agent: NAME', or pass --changelog-agent NAME); "
                "entry not imported"
            ),
        )
    ]
    report = await _init(database, settings, tmp_path, agent="architect")
    assert (report.entries, report.agents_added, report.notes) == (1, ["architect"], [])
