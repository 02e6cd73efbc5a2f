"""Hypothesis against every MCP tool, through the official client over streamable HTTP on each
backend: arguments from each tool's ``inputSchema`` (biased toward the world's real ids and
names) and off-schema junk. Every answer is a success (JSON, or the tracker's markdown) or a
one-line tool error with a known code; a refused call changes nothing in the database; a
success is a real change or read that matches its answer; the session keeps answering."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from hypothesis import given
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolRequest, CallToolRequestParams, CallToolResult, TextContent
from sqlalchemy import func, select

from crewboard.database import Database
from crewboard.mcp.server import SPECS
from crewboard.models.changelog import ChangelogEntry
from crewboard.models.events import Event
from crewboard.models.messages import Delivery, Message
from crewboard.models.tasks import Task, TaskDependency
from crewboard.models.teams import Team, TeamMember
from crewboard.services.core import unit_of_work
from tests.fuzz import fuzz_settings
from tests.mcp.fuzz_args import NON_OBJECTS, TASKS, in_schema, junk
from tests.support.mcp import Agent, http_agent
from tests.support.world import World

pytestmark = [
    pytest.mark.fuzz,
    # Non-object arguments are sent past the client's types on purpose; pydantic says so.
    pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning"),
]
logger = logging.getLogger(__name__)
T = TypeVar("T")

CALLER = "backend"
CALL_TIMEOUT = 30.0  # a hung call fails the example instead of stalling the run
SCALE = 2.5  # examples per tool and kind, times CREWBOARD_FUZZ_EXAMPLES
INVALID_PARAMS = -32602  # JSON-RPC: what the protocol answers to non-object arguments
PARSE_ERROR = -32700
PARSER_DEPTH = 200  # pydantic-core's JSON recursion limit, in the SDK's request parsing
ERROR_LINE = re.compile(r"error \[([a-z-]+)\]: \S.*")
# Every code a tool may refuse with: the boundary's, and the services' (a new one is a
# decision to document, so it must be added here on purpose). Never ``internal``.
KNOWN_CODES = frozenset(
    {
        "validation",
        "invalid",
        "not-found",
        "forbidden",
        "conflict",
        "duplicate",
        "busy",
        "invalid-cursor",
        "already-claimed",
        "version-conflict",
        "version-required",
        "not-claimable",
        "dependency-cycle",
        "blocked",
        "team-busy",
        "nothing-ready",
        "not-yours",
        "not-blocked",
        "already-yours",
        "already-completed",
        "already-answered",
        "bad-transition",
        "owner-required",
        "exists",
        "agent-in-use",
        "not-empty",
        "rate-limited",
    }
)
FUZZED = [spec.name for spec in SPECS]


class Runner:
    """Runs a coroutine on the test's event loop (the client's and the engine's) from the
    hypothesis worker thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def __call__(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=CALL_TIMEOUT * 4)


def depth(value: object) -> int:
    """How deeply lists and objects nest in ``value``."""
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


@dataclass(frozen=True)
class Snapshot:
    """What any change leaves behind: the newest event, row counts, versions, reads."""

    counts: tuple[int, ...]

    def as_dict(self) -> dict[str, int]:
        return dict(zip(SNAPSHOT_NAMES, self.counts, strict=True))


SNAPSHOT_NAMES = (
    "events",
    "tasks",
    "task_dependencies",
    "task_versions",
    "messages",
    "deliveries",
    "deliveries_read",
    "teams",
    "teams_live",
    "team_members",
    "changelog",
)


async def snapshot(database: Database) -> Snapshot:
    """One query, straight from the database (not through the tools under test)."""

    def scalar(stmt: Any) -> Any:
        return stmt.scalar_subquery()

    count = func.count()
    query = select(
        scalar(select(func.coalesce(func.max(Event.id), 0))),
        scalar(select(count).select_from(Task)),
        scalar(select(func.count()).select_from(TaskDependency)),
        scalar(select(func.coalesce(func.sum(Task.version), 0))),
        scalar(select(func.count()).select_from(Message)),
        scalar(select(func.count()).select_from(Delivery)),
        scalar(select(func.count()).select_from(Delivery).where(Delivery.read_at.is_not(None))),
        scalar(select(func.count()).select_from(Team)),
        scalar(select(func.count()).select_from(Team).where(Team.deleted_at.is_(None))),
        scalar(select(func.count()).select_from(TeamMember)),
        scalar(select(func.count()).select_from(ChangelogEntry)),
    )
    async with unit_of_work(database, write=False) as session:
        row = (await session.execute(query)).one()
    return Snapshot(tuple(int(v) for v in row))


@dataclass
class Case:
    """One call and what it found: the arguments, the answer and the two snapshots."""

    tool: str
    arguments: Any
    result: CallToolResult
    before: Snapshot
    after: Snapshot

    @property
    def text(self) -> str:
        (block,) = self.result.content
        assert isinstance(block, TextContent), self.result
        return block.text

    def delta(self, name: str) -> int:
        return self.after.as_dict()[name] - self.before.as_dict()[name]

    def unchanged(self) -> None:
        assert self.before == self.after, (
            self.tool,
            self.arguments,
            self.text[:300],
            self.before.as_dict(),
            self.after.as_dict(),
        )


async def _task(database: Database, number: int) -> Task | None:
    async with unit_of_work(database, write=False) as session:
        found: Task | None = await session.scalar(select(Task).where(Task.number == number))
        return found


def _status(task: Task) -> str:
    return "deleted" if task.status == "cancelled" else task.status


# A success's consistency with the database, per tool: a new tool needs its own check.
Check = Callable[[Database, Case, Any], Awaitable[None]]


async def check_task_create(db: Database, case: Case, answer: Any) -> None:
    task = await _task(db, int(answer["task"]["id"]))
    assert task is not None, answer
    assert task.title == answer["task"]["subject"], answer
    assert (case.delta("tasks"), case.delta("events") > 0) == (1, True), case.after


async def check_task_list(db: Database, case: Case, answer: Any) -> None:
    case.unchanged()
    for shown in answer["tasks"]:
        task = await _task(db, int(shown["id"]))
        assert task is not None, shown
        assert (task.title, _status(task), task.owner) == (
            shown["subject"],
            shown["status"],
            shown["owner"],
        )


async def check_task_get(db: Database, case: Case, answer: Any) -> None:
    case.unchanged()
    task = await _task(db, int(answer["id"]))
    assert task is not None, answer
    assert task.version == answer["version"], answer
    assert (task.title, task.owner, _status(task)) == (
        answer["subject"],
        answer["owner"],
        answer["status"],
    )


async def check_task_update(db: Database, case: Case, answer: Any) -> None:
    task = await _task(db, int(answer["taskId"]))
    assert task is not None, answer
    assert task.version == answer["version"], answer
    if "statusChange" in answer:
        assert _status(task) == answer["statusChange"]["to"], answer
    if answer["updatedFields"] or "statusChange" in answer:
        assert min(case.delta("events"), case.delta("task_versions")) > 0, case.after
    elif case.delta("events"):  # the owner's write on its running task renews the lease
        assert (task.owner, task.status, case.delta("events")) == (CALLER, "in_progress", 1)
    else:
        case.unchanged()


async def check_task_claim(db: Database, case: Case, answer: Any) -> None:
    task = await _task(db, int(answer["id"]))
    assert task is not None, answer
    assert (task.owner, answer["owner"], task.status) == (CALLER, CALLER, "in_progress")
    assert case.delta("events") > 0, answer


async def check_send_message(db: Database, case: Case, answer: Any) -> None:
    async with unit_of_work(db, write=False) as session:
        message = await session.get(Message, answer["id"])
        recipients = set(
            await session.scalars(
                select(Delivery.recipient).where(Delivery.message_id == answer["id"])
            )
        )
    assert message is not None, answer
    assert message.sender == CALLER, answer
    assert recipients == set(answer["recipients"]), (recipients, answer)
    assert case.delta("messages") == 1
    assert case.delta("deliveries") == len(recipients)


async def check_inbox_read(db: Database, case: Case, answer: Any) -> None:
    args = case.arguments
    if not args.get("mark_read", True) or not answer["messages"]:
        case.unchanged()
        return
    ids = [m["id"] for m in answer["messages"]]
    async with unit_of_work(db, write=False) as session:
        unread = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.message_id.in_(ids),
                Delivery.recipient == CALLER,
                Delivery.read_at.is_(None),
            )
        )
    assert unread == 0, answer
    assert all(m["read"] for m in answer["messages"]), answer


async def check_tracker_read(db: Database, case: Case, answer: Any) -> None:
    case.unchanged()
    assert answer.startswith(f"# {case.arguments.get('agent') or CALLER} tracker\n"), answer[:80]


async def _team(db: Database, name: str) -> tuple[Team | None, set[str]]:
    async with unit_of_work(db, write=False) as session:
        team = await session.scalar(
            select(Team).where(Team.name == name).order_by(Team.id.desc()).limit(1)
        )
        if team is None:
            return None, set()
        members = await session.scalars(
            select(TeamMember.agent_name).where(TeamMember.team_id == team.id)
        )
        return team, set(members)


async def check_team_create(db: Database, case: Case, answer: Any) -> None:
    team, members = await _team(db, answer["team_name"])
    assert team is not None, answer
    assert (team.deleted_at, team.lead) == (None, CALLER), answer
    assert members == set(answer["members"]), (members, answer)
    assert case.delta("teams_live") == 1
    assert case.delta("events") > 0


async def check_team_delete(db: Database, case: Case, answer: Any) -> None:
    team, _ = await _team(db, answer["team_name"])
    assert team is None or team.deleted_at is not None, answer
    assert case.delta("teams_live") == -1
    assert case.delta("events") > 0


async def check_changelog_append(db: Database, case: Case, answer: Any) -> None:
    async with unit_of_work(db, write=False) as session:
        entry = await session.get(ChangelogEntry, answer["id"])
    assert entry is not None
    assert entry.title == answer["title"]
    assert entry.agent == CALLER
    assert case.delta("changelog") == 1
    assert case.delta("events") > 0


CHECKS: dict[str, Check] = {
    "TaskCreate": check_task_create,
    "TaskList": check_task_list,
    "TaskGet": check_task_get,
    "TaskUpdate": check_task_update,
    "TaskClaim": check_task_claim,
    "SendMessage": check_send_message,
    "InboxRead": check_inbox_read,
    "TrackerRead": check_tracker_read,
    "TeamCreate": check_team_create,
    "TeamDelete": check_team_delete,
    "ChangelogAppend": check_changelog_append,
}


@dataclass
class Tally:
    """Answers per kind of case, to show the fuzzing got past validation."""

    codes: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, code: str) -> None:
        key = f"{kind}:{code}"
        self.codes[key] = self.codes.get(key, 0) + 1


@dataclass
class Fuzzer:
    """Calls one tool as ``backend`` and checks each answer against the database."""

    agent: Agent
    database: Database
    tool: str
    tally: Tally = field(default_factory=Tally)

    async def call(self, arguments: Any) -> Case:
        before = await snapshot(self.database)
        if isinstance(arguments, dict):
            result = await self.agent.session.call_tool(
                self.tool, arguments, read_timeout_seconds=CALL_TIMEOUT
            )
        else:  # past the client's types: the wire still carries it
            params = CallToolRequestParams.model_construct(name=self.tool, arguments=arguments)
            result = await self.agent.session.send_request(
                CallToolRequest(params=params),
                CallToolResult,
                request_read_timeout_seconds=CALL_TIMEOUT,
            )
        return Case(self.tool, arguments, result, before, await snapshot(self.database))

    async def alive(self) -> None:
        """The session still answers after the case."""
        listed = await self.agent.session.call_tool(
            "TaskList", {"limit": 1}, read_timeout_seconds=CALL_TIMEOUT
        )
        assert not listed.is_error, listed

    async def check(self, kind: str, arguments: Any) -> None:
        """One case: a known answer, nothing changed by a refusal, a consistent success."""
        try:
            case = await self.call(arguments)
        except MCPError as exc:
            refused = exc
        else:
            await self.check_answer(kind, case)
            return
        # The protocol itself refuses only non-object arguments, and a request nested past
        # its JSON parser's recursion limit; neither reaches a tool.
        allowed = INVALID_PARAMS if kind == "non-object" else PARSE_ERROR
        assert refused.code == allowed, (refused.code, refused.message)
        assert kind == "non-object" or depth(arguments) > PARSER_DEPTH, refused.message
        self.tally.add(kind, f"jsonrpc{refused.code}")
        await self.alive()

    async def check_answer(self, kind: str, case: Case) -> None:
        """A tool's answer: a known one-line refusal that changed nothing, or a success
        consistent with the database."""
        text = case.text
        assert "Traceback" not in text, text[:2000]
        if case.result.is_error:
            match = ERROR_LINE.fullmatch(text)
            assert "\n" not in text, text[:2000]
            assert match is not None, text[:2000]
            assert match.group(1) in KNOWN_CODES, text[:2000]
            case.unchanged()
            self.tally.add(kind, match.group(1))
        else:
            answer = text if self.tool == "TrackerRead" else json.loads(text)
            await CHECKS[self.tool](self.database, case, answer)
            self.tally.add(kind, "ok")
        await self.alive()


async def seed(lead: Agent, qa: Agent) -> None:
    """Through the tools: team ``core`` (backend leads, qa and frontend), tasks 1-5 (1 held by
    backend, 2 blocked by 1, 3 on the team, 4 held by qa, 5 shared), messages to backend
    (one a shutdown request) and a changelog entry."""
    await lead.ok("TeamCreate", team_name="core", members=["qa", "frontend"])
    await lead.ok("TaskCreate", subject="Orders table", tracker=CALLER, priority=1)
    await lead.ok("TaskCreate", subject="Orders API", tracker=CALLER, blockedBy=["1"])
    await lead.ok("TaskCreate", subject="Shared docs", team_name="core")
    await lead.ok("TaskCreate", subject="QA plan", tracker="qa")
    await lead.ok("TaskCreate", subject="Unowned", metadata={"area": "misc"})
    await lead.ok("TaskClaim", taskId="1")
    await qa.ok("TaskClaim", taskId="4")
    await qa.ok("SendMessage", to=CALLER, message="hello")
    await qa.ok("SendMessage", to="*", message="to the team")
    await qa.ok("SendMessage", to=CALLER, message={"type": "shutdown_request", "content": "bye"})
    await lead.ok(
        "ChangelogAppend",
        title="Orders",
        problem="none",
        fix="table",
        files=["src/app.py"],
        verified="pytest",
        taskIds=["1"],
    )


async def test_every_listed_tool_is_fuzzed_and_checked(mcp_url: str, world: World) -> None:
    """A new tool cannot escape: the listed tools are the fuzzed ones, each with its check."""
    async with http_agent(mcp_url, world.tokens[CALLER]) as agent:
        listed = {t.name for t in (await agent.session.list_tools()).tools}
    assert listed == set(FUZZED) == set(CHECKS)


@pytest.mark.parametrize("tool", FUZZED)
async def test_tool_arguments_fuzz(
    tool: str, mcp_url: str, world: World, database: Database
) -> None:
    """Schema-made then junk arguments for one tool; every answer checked."""
    async with (
        http_agent(mcp_url, world.tokens[CALLER]) as agent,
        http_agent(mcp_url, world.tokens["qa"]) as qa,
    ):
        schema = next(
            t for t in (await agent.session.list_tools()).tools if t.name == tool
        ).input_schema
        await seed(agent, qa)
        assert (await snapshot(database)).as_dict()["tasks"] == TASKS
        fuzzer, run = Fuzzer(agent, database, tool), Runner(asyncio.get_running_loop())

        @fuzz_settings(SCALE)
        @given(arguments=in_schema(schema))
        def schema_cases(arguments: dict[str, Any]) -> None:
            run(fuzzer.check("schema", arguments))

        @fuzz_settings(SCALE)
        @given(arguments=junk(schema))
        def junk_cases(arguments: dict[str, Any]) -> None:
            run(fuzzer.check("junk", arguments))

        @fuzz_settings(0.5)
        @given(arguments=NON_OBJECTS)
        def non_object_cases(arguments: Any) -> None:
            run(fuzzer.check("non-object", arguments))

        def fuzz() -> None:
            schema_cases()
            junk_cases()
            non_object_cases()

        # Hypothesis drives synchronously in a thread; the calls run on this loop.
        await asyncio.to_thread(fuzz)
    logger.info("%s: %s", tool, dict(sorted(fuzzer.tally.codes.items())))
