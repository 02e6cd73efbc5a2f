"""Bad headers, queries and paths on the task and changelog routes: the right problem,
nothing echoed, nothing written. (Bad bodies: ``test_bad_input_tasks``.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.api.harness import NO_BODY, Bad, cursor
from tests.api.task_inputs import (
    BODILESS,
    ENTRY,
    HELD,
    INT32_OVER,
    LOG,
    PENDING,
    TASKS,
    WAITS,
    assert_refused_unchanged,
    open_world,
)
from tests.support.world import ApiWorld

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[ApiWorld]:
    async with open_world(migrated_database, base_settings) as world:
        yield world


def if_match(tag: str, value: str, *, status: int = 422, code: str = "bad-if-match") -> Bad:
    """PATCH #1 with an If-Match header instead of a version."""
    return Bad(
        f"patch-if-match-{tag}",
        "PATCH",
        f"{TASKS}/{PENDING}",
        body={"title": "x"},
        headers={"If-Match": value},
        status=status,
        code=code,
        actor="owner",
        secret=value if len(value) >= 3 else None,
    )


HEADER_CASES = [
    # Not hex: a hex secret can turn up by chance in the answer's random request id.
    if_match("text", "version-seven"),
    if_match("zero", '"0"'),
    if_match("negative", '"-1"'),
    if_match("star", "*"),
    if_match("beyond-int32", f'"{INT32_OVER}"'),
    if_match("weak-junk", 'W/"x1"'),
    if_match("list", '"1", "2"'),
    if_match("stale", '"7"', status=409, code="version-conflict"),
    replace(if_match("disagrees", '"1"'), body={"version": 2, "title": "x"}),
    replace(
        if_match("101-chars", '"' + "1" * 99 + '"'), code="validation", loc=("header", "if-match")
    ),
    Bad(
        "patch-no-version",
        "PATCH",
        f"{TASKS}/{PENDING}",
        body={"title": "x"},
        status=428,
        code="version-required",
        field="version",
        actor="owner",
    ),
]


def q(id: str, path: str, loc: str | None = None, **params: str) -> Bad:
    """A GET with query parameters; ``loc`` names the parameter the schema refuses."""
    return Bad(id, "GET", path, params=params, loc=("query", loc) if loc else None, actor="owner")


def bad_cursor(id: str, path: str, raw: str, **params: str) -> Bad:
    return Bad(
        id,
        "GET",
        path,
        params={**params, "cursor": cursor(raw)},
        code="invalid-cursor",
        actor="owner",
    )


HISTORY = f"{TASKS}/{PENDING}/history"
QUERY_CASES = [
    Bad(
        "list-status-junk",
        "GET",
        TASKS,
        params={"status": "junk"},
        loc=("query", "status", 0),
        actor="owner",
    ),
    Bad(
        "list-status-one-junk",
        "GET",
        TASKS,
        params=(("status", "pending"), ("status", "junk")),
        loc=("query", "status", 1),
        actor="owner",
    ),
    Bad(
        "list-status-7",
        "GET",
        TASKS,
        params=tuple(("status", "pending") for _ in range(7)),
        loc=("query", "status"),
        actor="owner",
    ),
    q("list-priority-4", TASKS, "priority", priority="4"),
    q("list-priority-minus-1", TASKS, "priority", priority="-1"),
    q("list-priority-text", TASKS, "priority", priority="high"),
    q("list-ready-maybe", TASKS, "ready", ready="maybe"),
    q("list-tracker-upper", TASKS, "tracker", tracker="Backend"),
    q("list-owner-dotdot", TASKS, "owner", owner="../x"),
    q("list-text-empty", TASKS, "text", text=""),
    q("list-text-201", TASKS, "text", text="x" * 201),
    replace(q("list-text-control", TASKS, text="a\x01b"), code="invalid", field="text"),
    q("list-limit-0", TASKS, "limit", limit="0"),
    q("list-limit-201", TASKS, "limit", limit="201"),
    q("list-limit-text", TASKS, "limit", limit="ten"),
    q("list-cursor-201", TASKS, "cursor", cursor="c" * 201),
    replace(q("list-cursor-garbage", TASKS, cursor="%%%"), code="invalid-cursor"),
    bad_cursor("list-cursor-id-kind", TASKS, "id:3"),
    bad_cursor("list-cursor-two-parts", TASKS, "k:1,2"),
    bad_cursor("list-cursor-negative", TASKS, "k:-1"),
    bad_cursor("list-cursor-2-63", TASKS, f"k:{2**63}"),
    bad_cursor("ready-cursor-one-part", TASKS, "k:1", ready="true"),
    bad_cursor("ready-cursor-priority-4", TASKS, "k:4,1", ready="true"),
    bad_cursor("ready-cursor-priority-int16", TASKS, "k:99999,1", ready="true"),
    bad_cursor("ready-cursor-text", TASKS, "k:a,b", ready="true"),
    q("history-limit-0", HISTORY, "limit", limit="0"),
    bad_cursor("history-cursor-kind", HISTORY, "k:1"),
    bad_cursor("history-cursor-beyond-int32", HISTORY, f"id:{INT32_OVER}"),
    q("log-task-0", LOG, "task", task="0"),
    q("log-task-int32", LOG, "task", task=str(INT32_OVER)),
    q("log-task-text", LOG, "task", task="one"),
    q("log-agent-upper", LOG, "agent", agent="Backend"),
    q("log-limit-1000", LOG, "limit", limit="1000"),
    bad_cursor("log-cursor-negative", LOG, "id:-1"),
]


def at(id: str, method: str, path: str, loc: str, body: Any = NO_BODY) -> Bad:
    """A path the schema refuses at ``("path", loc)``."""
    return Bad(id, method, path, body=body, loc=("path", loc), actor="owner")


PATH_CASES = [
    at("get-number-0", "GET", f"{TASKS}/0", "number"),
    at("get-number-int32", "GET", f"{TASKS}/{INT32_OVER}", "number"),
    at("get-number-text", "GET", f"{TASKS}/one", "number"),
    at("get-number-float", "GET", f"{TASKS}/1.5", "number"),
    at("get-number-negative", "GET", f"{TASKS}/-1", "number"),
    at("patch-number-0", "PATCH", f"{TASKS}/0", "number", {"version": 1, "title": "x"}),
    at("claim-number-int32", "POST", f"{TASKS}/{INT32_OVER}/claim", "number", {}),
    at("complete-number-text", "POST", f"{TASKS}/two/complete", "number", {"outcome": "x"}),
    at("renew-number-0", "POST", f"{TASKS}/0/renew", "number"),
    at("history-number-text", "GET", f"{TASKS}/x/history", "number"),
    at("follow-ups-number-0", "GET", f"{TASKS}/0/follow-ups", "number"),
    at("undepend-blocker-0", "DELETE", f"{TASKS}/{WAITS}/dependencies/0", "blocker"),
    at("undepend-blocker-int32", "DELETE", f"{TASKS}/{WAITS}/dependencies/{INT32_OVER}", "blocker"),
    at("undepend-blocker-text", "DELETE", f"{TASKS}/{WAITS}/dependencies/one", "blocker"),
    at("tasks-slug-upper", "POST", "/projects/Alpha/tasks", "slug", {"title": "x"}),
    at("log-slug-dash", "POST", "/projects/-x/changelog", "slug", ENTRY),
    Bad(
        "undepend-not-linked",
        "DELETE",
        f"{TASKS}/{PENDING}/dependencies/{HELD}",
        status=404,
        code="not-found",
        actor="owner",
    ),
    Bad(
        "undepend-unknown-blocker",
        "DELETE",
        f"{TASKS}/{WAITS}/dependencies/99",
        status=404,
        code="not-found",
        actor="owner",
    ),
    Bad(
        "renew-not-held",
        "POST",
        f"{TASKS}/{PENDING}/renew",
        status=409,
        code="not-yours",
        actor="backend",
    ),
    Bad(
        "renew-as-person",
        "POST",
        f"{TASKS}/{HELD}/renew",
        code="invalid",
        field="as_agent",
        actor="owner",
    ),
    Bad("get-unknown-task", "GET", f"{TASKS}/99", status=404, code="not-found", actor="owner"),
]

CASES = HEADER_CASES + QUERY_CASES + PATH_CASES


def test_cases_are_distinct_and_cover_the_bodiless_writes() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for route in BODILESS:
        assert sum(i.startswith(route + "-") for i in ids) >= 2, route


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_bad_input_is_refused_and_changes_nothing(world: ApiWorld, case: Bad) -> None:
    await assert_refused_unchanged(world, case)
