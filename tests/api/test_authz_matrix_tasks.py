"""Who may call which task and changelog route (the machinery is in ``tests.api.matrix``).

Every case that changes something gets a task made for it alone, through the services and
just before its request, in the state the row names; so no case sees another's effects.
The foundation routes and the check that every route has a row are in ``test_authz_matrix``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import unit_of_work
from crewboard.services.tasks import ChangelogDraft, ChangelogService, Tasks
from tests.api.matrix import ACTORS, Call, Row, World, build_world, fill, run_case
from tests.support.factory import SYSTEM

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

READ_TASK = 1  # made with the world, on qa's tracker; only ever read

# The fresh task a case acts on: its tracker, who holds it, whether it is blocked.
#   mine          pending, unowned, on backend's tracker
#   held          in progress, held by backend
#   theirs        in progress, held by qa
#   their-tracker pending, unowned, on qa's tracker
#   shared        pending, unowned, on no tracker (ready for anyone to claim)
#   blocked       blocked, unowned, on backend's tracker
#   their-blocked blocked, held by qa
Kind = Literal["mine", "held", "theirs", "their-tracker", "shared", "blocked", "their-blocked"]
TRACKER: dict[Kind, str | None] = {
    "mine": "backend",
    "held": "backend",
    "theirs": "qa",
    "their-tracker": "qa",
    "shared": None,
    "blocked": "backend",
    "their-blocked": "qa",
}
HOLDER: dict[Kind, str] = {"held": "backend", "theirs": "qa", "their-blocked": "qa"}


async def fresh_task(w: World, kind: Kind, *, waits_on: int | None = None) -> tuple[int, int]:
    """A new task in the given state (optionally waiting on another): its number and version."""
    async with unit_of_work(w.database, write=True) as session:
        tasks = Tasks(session, w.settings)
        created = await tasks.create(
            SYSTEM, "alpha", title=w.unique("task "), tracker=TRACKER[kind]
        )
        task = created.task
        if kind in HOLDER:
            task = (await tasks.claim(SYSTEM, "alpha", task.number, as_agent=HOLDER[kind])).task
        if kind in ("blocked", "their-blocked"):
            task = (await tasks.block(SYSTEM, "alpha", task.number, reason="waiting")).task
        if waits_on is not None:
            task = (await tasks.add_blockers(SYSTEM, "alpha", task.number, [waits_on])).task
        return task.number, task.version


@dataclass(frozen=True)
class On:
    """Prepares a case: a fresh task of ``kind`` (None: the read-only task) and the body.

    ``version``: send the task's version in the body or as ``If-Match``. ``blocker``: a
    fresh task to name in ``blocked_by`` ("new") or that the task already waits on
    ("linked"); the path's ``{blocker}`` is its number.
    """

    kind: Kind | None = None
    body: dict[str, Any] | None = None
    as_agent: str | None = None
    version: Literal["body", "if-match"] | None = None
    blocker: Literal["new", "linked"] | None = None

    async def __call__(self, w: World, actor: str, route: str) -> Call:
        blocker = (await fresh_task(w, "shared"))[0] if self.blocker else None
        number, version = READ_TASK, 1
        if self.kind is not None:
            linked = blocker if self.blocker == "linked" else None
            number, version = await fresh_task(w, self.kind, waits_on=linked)
        body = None if self.body is None else dict(self.body)
        headers: dict[str, str] = {}
        if self.as_agent is not None:
            body = {**(body or {}), "as_agent": self.as_agent}
        if self.version == "body":
            body = {**(body or {}), "version": version}
        elif self.version == "if-match":
            headers["If-Match"] = f'"{version}"'
        if self.blocker == "new":
            body = {**(body or {}), "blocked_by": [blocker]}
        return Call(fill(route, number=number, blocker=blocker), w.tokens[actor], body, headers)


TASKS = "/projects/{slug}/tasks"
TASK = TASKS + "/{number}"
LOG = "/projects/{slug}/changelog"
NEW = {"title": "New task"}
FOLLOW = {"tracker": "qa", "title": "Follow-up"}
ENTRY = {"title": "Fixed it", "problem": "It broke", "fix": "Mended", "verified": "pytest"}
RENAME = {"title": "Renamed"}
BLOCK = {"reason": "waiting for the schema"}
DONE = {"outcome": "done and tested"}

# Grid columns, in ACTORS order (spaces only group them):
#     anon bad | viewer agent member owner admin | outsider | tok_a tok_b | ro
# Marks: + the row's ok status   U 401   F 403 forbidden   I 403 impersonation   N 404
#        C 409 not-yours   V 422 invalid (name the agent: as_agent)   P 428 version-required
READ = "UU +++++ N +N +"
WRITE = "UU F++++ N +N F"  # agents and members alike
AGENT_ONLY = "UU F+VVV N +N F"  # a person must name the agent it acts as
AS_QA = "UU FI+++ N IN F"  # as_agent=qa: a person may; backend may not pose as qa
MEMBERS = "UU FF+++ N FN F"  # not the agent's task: only members may
NO_VERSION = "UU PPPPP P PP P"
NOT_YOURS = "UU FCVVV N CN F"
BY_BACKEND, BY_QA = ("owner", "backend"), ("owner", "qa")

# fmt: off
MATRIX = (
    #   method    route                          ok   grid        prepare, note, shows
    Row("GET",    TASKS,                         200, READ,       On()),
    Row("GET",    TASK,                          200, READ,       On()),
    Row("GET",    TASK + "/history",             200, READ,       On()),
    Row("GET",    TASK + "/follow-ups",          200, READ,       On()),
    Row("GET",    LOG,                           200, READ,       On()),
    Row("POST",   TASKS,                         201, WRITE,      On(None, NEW)),
    Row("POST",   TASKS,                         201, AS_QA,      On(None, NEW, "qa"), "as qa",
        ("created_by", "qa")),
    Row("POST",   TASK + "/follow-ups",          201, WRITE,      On("mine", FOLLOW)),
    Row("POST",   TASK + "/follow-ups",          201, AS_QA,      On("mine", FOLLOW, "qa"),
        "as qa", ("created_by", "qa")),
    Row("POST",   LOG,                           201, AGENT_ONLY, On(None, ENTRY), "",
        ("agent", "backend")),
    Row("POST",   LOG,                           201, WRITE,      On(None, ENTRY, "backend"),
        "as backend", ("agent", "backend")),
    Row("POST",   LOG,                           201, AS_QA,      On(None, ENTRY, "qa"), "as qa",
        ("agent", "qa")),
    Row("POST",   TASK + "/claim",               200, AGENT_ONLY, On("shared", {}), "",
        BY_BACKEND),
    Row("POST",   TASK + "/claim",               200, WRITE,      On("shared", {}, "backend"),
        "as backend", BY_BACKEND),
    Row("POST",   TASK + "/claim",               200, AS_QA,      On("shared", {}, "qa"),
        "as qa", BY_QA),
    # Claiming "the next" task: the fresh shared task guarantees there is one to take.
    Row("POST",   TASKS + "/claim",              200, AGENT_ONLY, On("shared", {}), "",
        BY_BACKEND),
    Row("POST",   TASKS + "/claim",              200, WRITE,      On("shared", {}, "backend"),
        "as backend", BY_BACKEND),
    Row("POST",   TASKS + "/claim",              200, AS_QA,      On("shared", {}, "qa"),
        "as qa", BY_QA),
    Row("POST",   TASK + "/start",               200, AGENT_ONLY, On("shared", {}), "",
        ("task.owner", "backend")),
    Row("POST",   TASK + "/start",               200, WRITE,      On("shared", {}, "backend"),
        "as backend", ("task.owner", "backend")),
    Row("POST",   TASK + "/start",               200, AS_QA,      On("shared", {}, "qa"),
        "as qa", ("task.owner", "qa")),
    Row("PATCH",  TASK,                          200, WRITE,
        On("mine", RENAME, version="body"), "unowned on own tracker"),
    Row("PATCH",  TASK,                          200, WRITE,
        On("held", RENAME, version="if-match"), "held, If-Match"),
    Row("PATCH",  TASK,                          200, MEMBERS,
        On("theirs", RENAME, version="if-match"), "held by qa"),
    Row("PATCH",  TASK,                          200, MEMBERS,
        On("their-tracker", RENAME, version="body"), "unowned on qa's tracker"),
    Row("PATCH",  TASK,                          200, MEMBERS,
        On("shared", RENAME, version="body"), "unowned shared"),
    Row("PATCH",  TASK,                          200, NO_VERSION, On("mine", RENAME),
        "no version"),
    Row("PATCH",  TASK,                          200, AS_QA,
        On("mine", RENAME, "qa", version="body"), "as qa"),
    Row("POST",   TASK + "/block",               200, WRITE,      On("mine", BLOCK), "own"),
    Row("POST",   TASK + "/block",               200, MEMBERS,    On("theirs", BLOCK),
        "held by qa"),
    Row("POST",   TASK + "/block",               200, AS_QA,      On("mine", BLOCK, "qa"),
        "as qa"),
    Row("POST",   TASK + "/unblock",             200, WRITE,      On("blocked", {}), "own"),
    Row("POST",   TASK + "/unblock",             200, MEMBERS,    On("their-blocked", {}),
        "held by qa"),
    Row("POST",   TASK + "/unblock",             200, AS_QA,      On("blocked", {}, "qa"),
        "as qa"),
    Row("POST",   TASK + "/complete",            200, WRITE,      On("held", DONE), "own",
        ("task.owner", "backend")),
    Row("POST",   TASK + "/complete",            200, MEMBERS,    On("theirs", DONE),
        "held by qa", ("task.owner", "qa")),
    Row("POST",   TASK + "/complete",            200, AS_QA,      On("mine", DONE, "qa"),
        "as qa", ("task.owner", "qa")),
    Row("POST",   TASK + "/release",             200, WRITE,      On("held", {}), "own",
        ("task.owner", None)),
    Row("POST",   TASK + "/release",             200, MEMBERS,    On("theirs", {}), "held by qa"),
    Row("POST",   TASK + "/release",             200, AS_QA,      On("held", {}, "qa"), "as qa"),
    Row("POST",   TASK + "/renew",               200, AGENT_ONLY, On("held"), "own"),
    Row("POST",   TASK + "/renew",               200, NOT_YOURS,  On("theirs"), "held by qa"),
    Row("POST",   TASK + "/dependencies",        200, WRITE,
        On("mine", blocker="new"), "own"),
    Row("POST",   TASK + "/dependencies",        200, MEMBERS,
        On("their-tracker", blocker="new"), "on qa's tracker"),
    Row("DELETE", TASK + "/dependencies/{blocker}", 200, WRITE,
        On("mine", blocker="linked"), "own", ("blocked_by", [])),
    Row("DELETE", TASK + "/dependencies/{blocker}", 200, MEMBERS,
        On("theirs", blocker="linked"), "held by qa"),
)
# fmt: on


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[World]:
    """The matrix world, plus task #1 (on qa's tracker), a follow-up of it and a log entry."""
    async with build_world(migrated_database, base_settings) as world:
        async with unit_of_work(world.database, write=True) as session:
            tasks = Tasks(session, world.settings)
            task = (await tasks.create(SYSTEM, "alpha", title="Read me", tracker="qa")).task
            assert task.number == READ_TASK
            await tasks.follow_up(SYSTEM, "alpha", READ_TASK, tracker="backend", title="Then me")
            draft = ChangelogDraft("Logged", "p", "f", "v", task_numbers=[READ_TASK])
            await ChangelogService(session, world.settings).append(
                SYSTEM, "alpha", draft, as_agent="qa"
            )
        yield world


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.id)
async def test_authorization(world: World, row: Row, actor: str) -> None:
    await run_case(world, row, actor)
