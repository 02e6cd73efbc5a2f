"""Claude Code interop: import a team's files, check crewboard's state, export them back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Base
from crewboard.services.core import Actor, Conflict, NotFound, unit_of_work
from crewboard.services.interop.claude import (
    ClaudeTeamExport,
    ClaudeTeamImport,
    ImportReport,
    read_team,
    write_files,
)
from crewboard.services.interop.claude.formats import ClaudeFormatError, from_millis
from crewboard.services.messages import InboxService, MessageService, Outgoing
from crewboard.services.tasks import TaskFilter, Tasks
from crewboard.services.teams import TeamService
from tests.support import claude_samples as sample
from tests.support.factory import Factory
from tests.support.world import actor_for

SYSTEM = Actor.system()
SLUG = "shop"


async def _project(factory: Factory) -> int:
    root = await factory.user("root@example.com", admin=True)
    await factory.project(SLUG, root)
    await factory.agent(SLUG, "backend", "APIs")  # already on the roster: kept as it is
    return root


async def _import(database: Database, settings: Settings, root: Path) -> ImportReport:
    bundle = read_team(root, sample.TEAM)
    async with unit_of_work(database, write=True) as session:
        return await ClaudeTeamImport(session, settings).run(SYSTEM, SLUG, bundle)


async def _export(database: Database, settings: Settings, root: Path) -> list[str]:
    async with unit_of_work(database, write=False) as session:
        export = await ClaudeTeamExport(session, settings).run(SYSTEM, SLUG, sample.TEAM)
    return write_files(root, export.files, lock_timeout=1)


async def _counts(database: Database) -> dict[str, int]:
    async with unit_of_work(database, write=False) as session:
        return {
            t.name: int(await session.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
        }


async def test_import_builds_the_team_its_tasks_and_inboxes(
    database: Database, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    await _project(factory)
    report = await _import(database, settings, sample.write_team(tmp_path))
    assert report.agents_added == ["team-lead", "frontend", "qa"]
    assert report.tasks == {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
    assert report.messages == 6  # the broadcast in three inboxes is one message

    async with unit_of_work(database, write=False) as session:
        team = await TeamService(session, settings).get(SYSTEM, SLUG, sample.TEAM)
        assert (team.team.lead, team.team.description) == ("team-lead", "Checkout pages")
        assert team.team.created_at == from_millis(sample.CREATED)
        assert [m.agent_name for m in team.members] == ["team-lead", "frontend", "backend", "qa"]
        tasks = Tasks(session, settings)
        listed = (await tasks.list_views(SYSTEM, SLUG, TaskFilter(team=sample.TEAM))).items
        state = [
            (v.task.number, v.task.status, v.task.owner, v.blocked_by, v.blocks) for v in listed
        ]
        assert state == [
            (1, "completed", "backend", [], [2, 3]),
            (2, "in_progress", "frontend", [1], [4]),
            (3, "pending", None, [1], []),
            (4, "pending", "qa", [2], []),
            (5, "cancelled", None, [], []),
        ]
        assert listed[0].task.meta == {
            "priority": "high",
            "files": ["api/orders.py"],
            "claude": {"id": "1"},
        }
        assert listed[1].task.lease_expires_at is not None
        assert listed[1].task.active_form
        inbox = InboxService(session)
        qa = (await inbox.list(SYSTEM, SLUG, agent="qa", unread=False)).items
        assert [(i.message.kind, i.message.sender, i.delivery.read_at is None) for i in qa] == [
            ("broadcast", "team-lead", True),
            ("shutdown_request", "team-lead", True),
        ]
        assert qa[1].message.request_id == "shutdown-1770840000000@qa"
        assert qa[1].message.body == "All checkout work is done"
        lead = (await inbox.list(SYSTEM, SLUG, agent="team-lead", unread=False)).items
        kinds = [(i.message.kind, i.message.approve, i.delivery.read_at is not None) for i in lead]
        assert kinds == [
            ("plan_approval_request", None, True),
            ("message", None, True),
            ("shutdown_response", True, False),
        ]
        frontend = (await inbox.list(SYSTEM, SLUG, agent="frontend", unread=False)).items
        answer = frontend[0].message
        assert (answer.kind, answer.request_id, answer.approve, answer.body) == (
            "plan_approval_response",
            "plan-7",
            False,
            "Add validation",
        )
        assert answer.created_at.isoformat() == "2026-02-11T20:01:00+00:00"


async def test_round_trip_gives_equivalent_files(
    database: Database, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    await _project(factory)
    original = sample.write_team(tmp_path / "claude")
    await _import(database, settings, original)
    out = tmp_path / "exported"
    written = await _export(database, settings, out)
    assert written[0] == "teams/web/config.json"
    assert len(written) == 1 + 5 + 4
    assert sample.read_tree(out) == sample.read_tree(original)
    assert not list(out.rglob("*.lock"))
    assert not list(out.rglob("*.tmp"))


async def test_export_carries_crewboard_changes(
    database: Database, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    root = await _project(factory)
    await _import(database, settings, sample.write_team(tmp_path / "claude"))
    lead_token = await factory.token(root, project=SLUG, agent="team-lead")
    frontend_token = await factory.token(root, project=SLUG, agent="frontend")
    lead = await actor_for(database, settings, lead_token)
    frontend = await actor_for(database, settings, frontend_token)
    async with unit_of_work(database, write=True) as session:
        tasks = Tasks(session, settings)
        await tasks.create(SYSTEM, SLUG, title="Receipt page", team=sample.TEAM)
        messages = MessageService(session)
        await messages.send(
            lead,
            SLUG,
            Outgoing(
                to="frontend", kind="shutdown_request", request_id="stop@frontend", body="Wrap up"
            ),
        )
        await messages.send(
            frontend,
            SLUG,
            Outgoing(
                kind="shutdown_response",
                request_id="stop@frontend",
                approve=False,
                body="Still testing",
            ),
        )
        await InboxService(session).mark_read(frontend, SLUG, up_to=10_000)
    out = tmp_path / "out"
    await _export(database, settings, out)
    new_task = json.loads((out / "tasks/web/6.json").read_text())
    assert new_task == {
        "id": "6",
        "subject": "Receipt page",
        "description": "",
        "status": "pending",
        "blocks": [],
        "blockedBy": [],
    }
    asked = json.loads((out / "teams/web/inboxes/frontend.json").read_text())[-1]
    assert (asked["from"], asked["read"], "color" in asked) == ("team-lead", True, False)
    assert json.loads(asked["text"])["requestId"] == "stop@frontend"
    answer = json.loads((out / "teams/web/inboxes/team-lead.json").read_text())[-1]
    reply = json.loads(answer["text"])
    assert (answer["from"], answer["color"], answer["read"]) == ("frontend", "blue", False)
    assert {k: reply[k] for k in ("type", "requestId", "from", "reason")} == {
        "type": "shutdown_rejected",
        "requestId": "stop@frontend",
        "from": "frontend",
        "reason": "Still testing",
    }
    qa_inbox = json.loads((out / "teams/web/inboxes/qa.json").read_text())
    assert [e["read"] for e in qa_inbox] == [False, False]


async def test_a_second_import_of_the_team_is_refused(
    database: Database, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    await _project(factory)
    root = sample.write_team(tmp_path)
    await _import(database, settings, root)
    before = await _counts(database)
    with pytest.raises(Conflict, match="team web exists in project shop"):
        await _import(database, settings, root)
    assert await _counts(database) == before


def _break(root: Path, relative: str, text: str) -> None:
    (root / relative).write_text(text)


@pytest.mark.parametrize(
    ("relative", "text", "message"),
    [
        ("tasks/web/3.json", "{not json", "tasks/web/3.json: not valid JSON"),
        ("tasks/web/3.json", json.dumps({"id": "3"}), "tasks/web/3.json: subject: Field required"),
        (
            "tasks/web/3.json",
            json.dumps({"id": "3", "subject": "x", "status": "paused"}),
            "tasks/web/3.json: status: 'paused' is not",
        ),
        (
            "tasks/web/3.json",
            json.dumps({"id": "9", "subject": "x"}),
            "tasks/web/3.json: id: '9' does not match",
        ),
        (
            "tasks/web/1.json",
            json.dumps({"id": "1", "subject": "x", "blockedBy": ["4"]}),
            "tasks/web: blockedBy: tasks 1 → 4 → 2 → 1 wait on each other",
        ),
        (
            "teams/web/inboxes/qa.json",
            json.dumps([{"from": "qa", "text": "hi"}]),
            "teams/web/inboxes/qa.json[0]: timestamp: Field required",
        ),
        (
            "teams/web/inboxes/qa.json",
            json.dumps({"from": "qa"}),
            "teams/web/inboxes/qa.json: (top level): an inbox is a JSON array",
        ),
        (
            "teams/web/inboxes/qa.json",
            json.dumps(
                [{"from": "qa", "timestamp": "2026-02-11", "text": '{"type":"shutdown_request"}'}]
            ),
            "teams/web/inboxes/qa.json[0]: text: a protocol message without a requestId",
        ),
        (
            "teams/web/config.json",
            json.dumps({"name": "web", "members": [{"name": "Lead"}]}),
            "teams/web/config.json: members.0.name: 'Lead': an agent name is",
        ),
    ],
)
async def test_bad_files_are_one_clear_error_and_change_nothing(
    database: Database,
    settings: Settings,
    factory: Factory,
    tmp_path: Path,
    relative: str,
    text: str,
    message: str,
) -> None:
    await _project(factory)
    root = sample.write_team(tmp_path)
    _break(root, relative, text)
    before = await _counts(database)
    with pytest.raises(ClaudeFormatError) as caught:
        await _import(database, settings, root)
    assert caught.value.message.startswith(message), caught.value.message
    assert "\n" not in caught.value.message
    assert await _counts(database) == before


async def test_an_unknown_team_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"no Claude Code team ghost in .*teams/ghost/config.json"):
        read_team(tmp_path, "ghost")


async def test_variants_are_read_and_written_in_the_documented_shape(
    database: Database, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    await _project(factory)
    root = tmp_path / "claude"
    sample.write(
        root / "teams/web/config.json",
        {"teamName": "web", "description": "", "members": [{"name": "team-lead"}]},
    )
    sample.write(root / "tasks/web/1.json", {"id": 1, "title": "Old style", "status": "pending"})
    sample.write(
        root / "teams/web/inboxes/team-lead.json",
        [
            {
                "sender": "team-lead",
                "content": '{"type":"shutdown_response","request_id":"r1","approve":true}',
                "timestamp": 1770836587799,
            }
        ],
    )
    report = await _import(database, settings, root)
    assert report.tasks == {"1": 1}
    out = tmp_path / "out"
    await _export(database, settings, out)
    config = json.loads((out / "teams/web/config.json").read_text())
    assert config["name"] == "web"
    assert "teamName" not in config
    assert json.loads((out / "tasks/web/1.json").read_text())["subject"] == "Old style"
    entry = json.loads((out / "teams/web/inboxes/team-lead.json").read_text())[0]
    assert entry["from"] == "team-lead"
    assert entry["timestamp"] == "2026-02-11T19:03:07.799Z"
