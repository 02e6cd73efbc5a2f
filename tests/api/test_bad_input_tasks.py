"""Bad bodies to the task and changelog routes: the right problem, nothing echoed, nothing
written (every table, tasks and the changelog included, is the same before and after).

The world and the case builders are in ``tests.api.task_inputs``; bad headers, queries and
paths are in ``test_bad_input_task_params``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Base
from tests.api.harness import API, Bad, assert_no_echo, assert_problem
from tests.api.task_inputs import (
    BLOCKED,
    BODILESS,
    DONE,
    ENTRY,
    HELD,
    INT32_OVER,
    LOG,
    PENDING,
    TASKS,
    WAITS,
    WRITES,
    F,
    assert_refused_unchanged,
    ghost,
    numbers,
    open_world,
    populate,
    rule,
)
from tests.support.database import snapshot
from tests.support.http import bearer
from tests.support.world import ApiWorld

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[ApiWorld]:
    async with open_world(migrated_database, base_settings) as world:
        yield world


def shape_cases() -> list[Bad]:
    """Bodies that are not the right JSON object at all, on every write route."""
    cases: list[Bad] = []
    for route, (method, path, valid, who) in WRITES.items():
        cases += [
            Bad(
                f"{route}-malformed",
                method,
                path,
                raw=b'{"title": "half-written-secret',
                status=400,
                code="malformed-json",
                actor=who,
                secret="half-written-secret",
            ),
            Bad(f"{route}-no-body", method, path, loc=("body",), actor=who),
            Bad(f"{route}-list", method, path, body=[valid], loc=("body",), actor=who),
            Bad(
                f"{route}-string",
                method,
                path,
                body="a-json-string",
                loc=("body",),
                actor=who,
                secret="a-json-string",
            ),
            Bad(f"{route}-null", method, path, body=None, loc=("body",), actor=who),
            Bad(
                f"{route}-unknown-field",
                method,
                path,
                body={**valid, "is_owner": "sneaky-extra"},
                loc=("body", "is_owner"),
                actor=who,
                secret="sneaky-extra",
            ),
        ]
    return cases


FILES_101 = [f"src/file-{i}.py" for i in range(101)]
META_51 = {f"key-{i}": f"value-secret-{i}" for i in range(51)}
META_17K = {"blob": "m" * 17_000}
META_DEEP: dict[str, Any] = {"deep": [[[[[[[[[[[[[[[[["bottom-secret"]]]]]]]]]]]]]]]]]}

FIELD_CASES = [
    # create
    F("create", "title", "t" * 501, tag="501"),
    F("create", "title", "", tag="empty"),
    F("create", "title", 5),
    rule("create", "title", "first line\nsecond-line-secret", tag="newline"),
    rule("create", "title", "bell\x07secret-title", tag="control"),
    rule("create", "title", "   ", tag="blank"),
    F("create", "description", "d" * 20_001, tag="20001"),
    F("create", "description", ["a list"]),
    F("create", "active_form", "a" * 501, tag="501"),
    F("create", "priority", 4, tag="4"),
    F("create", "priority", -1, tag="minus-1"),
    F("create", "priority", "1"),
    F("create", "priority", True),
    F("create", "priority", 1.5),
    F("create", "tracker", "Backend", tag="upper"),
    ghost("create", "tracker"),
    ghost("create", "as_agent"),
    F("create", "metadata", "a-string-not-a-map", tag="string"),
    F("create", "metadata", [1, 2]),
    rule("create", "metadata", META_51, tag="51-keys", secret="value-secret-7"),
    rule("create", "metadata", META_17K, tag="17k", secret="m" * 100),
    rule("create", "metadata", {"": 1}, tag="empty-key"),
    rule("create", "metadata", {"k" * 101: 1}, tag="key-101", secret="k" * 101),
    rule("create", "metadata", META_DEEP, tag="deep", secret="bottom-secret"),
    F("create", "blocked_by", numbers(51), tag="51"),
    F("create", "blocked_by", [0], tag="zero", loc=("body", "blocked_by", 0)),
    F("create", "blocked_by", [INT32_OVER], tag="beyond-int32", loc=("body", "blocked_by", 0)),
    F("create", "blocked_by", [2, "1"], tag="string-item", loc=("body", "blocked_by", 1)),
    F("create", "blocked_by", 1),
    F("create", "blocked_by", [99], tag="missing", http=404, code="not-found", field="blocked_by"),
    # patch
    F("patch", "version", 0, tag="zero"),
    F("patch", "version", -1, tag="minus-1"),
    F("patch", "version", "1"),
    F("patch", "version", 99, tag="stale", http=409, code="version-conflict"),
    F("patch", "version", 2**70, tag="huge", http=409, code="version-conflict"),
    F("patch", "title", "t" * 501, tag="501"),
    rule("patch", "title", "first line\nsecond-line-secret", tag="newline"),
    F("patch", "description", "d" * 20_001, tag="20001"),
    F("patch", "priority", 4, tag="4"),
    F("patch", "priority", -1, tag="minus-1"),
    F("patch", "status", "done", tag="unknown"),
    F("patch", "status", "PENDING", tag="upper"),
    F("patch", "status", 1),
    rule(
        "patch", "status", "blocked", tag="blocked-no-reason", field="blocked_reason", secret=None
    ),
    F(
        "patch",
        "status",
        "in_progress",
        tag="no-owner",
        http=409,
        code="owner-required",
        field="owner",
        secret=None,
    ),
    F("patch", "outcome", "o" * 1001, tag="1001", status="completed"),
    rule("patch", "outcome", "first line\nsecond-line-secret", tag="newline", status="completed"),
    F("patch", "blocked_reason", "r" * 2001, tag="2001", status="blocked"),
    rule(
        "patch", "blocked_reason", "first line\nsecond-line-secret", tag="newline", status="blocked"
    ),
    F("patch", "files", FILES_101, tag="101", secret="src/file-7.py"),
    F("patch", "files", ["f" * 501], tag="path-501", loc=("body", "files", 0), secret="f" * 501),
    F("patch", "files", ["a.py", ""], tag="empty-path", loc=("body", "files", 1)),
    F("patch", "files", "src/one-file.py", tag="string"),
    rule("patch", "files", ["bell\x07path.py"], tag="control"),
    F("patch", "verified", "v" * 1001, tag="1001"),
    rule("patch", "metadata", META_51, tag="51-keys", secret="value-secret-7"),
    rule("patch", "metadata", META_17K, tag="17k", secret="m" * 100),
    F("patch", "add_blocked_by", numbers(51), tag="51"),
    F("patch", "add_blocks", numbers(51), tag="51"),
    F("patch", "add_blocked_by", [PENDING], tag="self", code="dependency-cycle"),
    F("patch", "add_blocks", [PENDING], tag="self", code="dependency-cycle"),
    F("patch", "add_blocked_by", [WAITS], tag="cycle", http=409, code="dependency-cycle"),
    F(
        "patch",
        "add_blocked_by",
        [99],
        tag="missing",
        http=404,
        code="not-found",
        field="blocked_by",
    ),
    ghost("patch", "owner"),
    ghost("patch", "tracker"),
    ghost("patch", "as_agent"),
    ghost("patch", "needs_agent", status="blocked", blocked_reason="waiting"),
    Bad(
        "patch-reopen-done-as-in-progress",
        "PATCH",
        f"{TASKS}/{DONE}",
        body={"version": 2, "status": "in_progress"},
        code="bad-transition",
        field="status",
        actor="owner",
    ),
    Bad(
        "patch-unknown-task",
        "PATCH",
        f"{TASKS}/99",
        body={"version": 1, "title": "x"},
        status=404,
        code="not-found",
        actor="owner",
    ),
    # claim, claim next, start
    ghost("claim", "as_agent"),
    F("claim", "as_agent", "Backend", tag="upper"),
    F("claim", "as_agent", 5),
    Bad(
        "claim-no-agent",
        "POST",
        f"{TASKS}/{PENDING}/claim",
        body={},
        code="invalid",
        field="as_agent",
        actor="owner",
    ),
    Bad(
        "claim-held",
        "POST",
        f"{TASKS}/{HELD}/claim",
        body={"as_agent": "qa"},
        status=409,
        code="already-claimed",
        actor="owner",
    ),
    Bad(
        "claim-blocked",
        "POST",
        f"{TASKS}/{BLOCKED}/claim",
        body={"as_agent": "qa"},
        status=409,
        code="not-claimable",
        actor="owner",
    ),
    Bad(
        "claim-waiting",
        "POST",
        f"{TASKS}/{WAITS}/claim",
        body={"as_agent": "qa"},
        status=409,
        code="blocked",
        actor="owner",
    ),
    F("claim-next", "shared_only", "yes"),
    F("claim-next", "anywhere", 1),
    F("claim-next", "tracker", "Backend", tag="upper"),
    ghost("claim-next", "tracker"),
    Bad(
        "claim-next-no-agent",
        "POST",
        f"{TASKS}/claim",
        body={},
        code="invalid",
        field="as_agent",
        actor="owner",
    ),
    F("start", "version", 0, tag="zero"),
    F("start", "version", 7, tag="stale", http=409, code="version-conflict"),
    F("start", "as_agent", "qa", tag="other-agent", http=403, code="impersonation"),
    Bad(
        "start-no-agent",
        "POST",
        f"{TASKS}/{PENDING}/start",
        body={},
        code="invalid",
        field="as_agent",
        actor="owner",
    ),
    Bad(
        "start-done",
        "POST",
        f"{TASKS}/{DONE}/start",
        body={},
        code="bad-transition",
        field="status",
        actor="backend",
    ),
    # block, unblock, complete, release
    Bad(
        "block-no-reason",
        "POST",
        f"{TASKS}/{HELD}/block",
        body={},
        loc=("body", "reason"),
        actor="backend",
    ),
    F("block", "reason", "", tag="empty"),
    F("block", "reason", 5),
    F("block", "reason", "r" * 2001, tag="2001"),
    rule("block", "reason", "   ", tag="blank", field="blocked_reason"),
    F(
        "block",
        "reason",
        "first line\nsecond-line-secret",
        tag="newline",
        code="invalid",
        field="blocked_reason",
    ),
    F("block", "needs_agent", "Q A", tag="space"),
    ghost("block", "needs_agent"),
    F("block", "version", 1, tag="stale", http=409, code="version-conflict"),
    F("unblock", "version", 0, tag="zero"),
    Bad(
        "unblock-not-blocked",
        "POST",
        f"{TASKS}/{PENDING}/unblock",
        body={},
        status=409,
        code="not-blocked",
        actor="owner",
    ),
    Bad(
        "complete-no-outcome",
        "POST",
        f"{TASKS}/{HELD}/complete",
        body={},
        loc=("body", "outcome"),
        actor="backend",
    ),
    F("complete", "outcome", "", tag="empty"),
    F("complete", "outcome", "o" * 1001, tag="1001"),
    rule("complete", "outcome", "   ", tag="blank"),
    rule("complete", "outcome", "first line\nsecond-line-secret", tag="newline"),
    F("complete", "files", FILES_101, tag="101", secret="src/file-7.py"),
    F("complete", "files", ["f" * 501], tag="path-501", loc=("body", "files", 0), secret="f" * 501),
    F("complete", "verified", "v" * 1001, tag="1001"),
    replace(
        F("complete", "changelog", {"title": "no body parts"}, tag="partial"),
        loc=("body", "changelog", "problem"),
    ),
    # The task would complete, then the entry is refused: the completion is undone too.
    F(
        "complete",
        "changelog",
        {**ENTRY, "title": "first line\nsecond-line-secret"},
        tag="entry-title-newline",
        code="invalid",
        field="title",
        secret="second-line-secret",
    ),
    F("release", "version", "2"),
    Bad(
        "release-as_agent-unknown",
        "POST",
        f"{TASKS}/{HELD}/release",
        body={"as_agent": "ghost"},
        status=404,
        code="not-found",
        field="as_agent",
        actor="owner",
    ),
    F("release", "as_agent", "qa", tag="other-agent", http=403, code="impersonation"),
    # dependencies, follow-ups
    F("depend", "blocked_by", [], tag="empty"),
    F("depend", "blocked_by", numbers(51), tag="51"),
    F("depend", "blocked_by", [0], tag="zero", loc=("body", "blocked_by", 0)),
    F("depend", "blocked_by", [INT32_OVER], tag="beyond-int32", loc=("body", "blocked_by", 0)),
    F("depend", "blocked_by", ["2"], tag="string-item", loc=("body", "blocked_by", 0)),
    F("depend", "blocked_by", [PENDING], tag="self", code="dependency-cycle"),
    F("depend", "blocked_by", [WAITS], tag="cycle", http=409, code="dependency-cycle"),
    F("depend", "blocked_by", [99], tag="missing", http=404, code="not-found", field="blocked_by"),
    F("follow-up", "title", "t" * 501, tag="501"),
    rule("follow-up", "title", "first line\nsecond-line-secret", tag="newline"),
    F("follow-up", "description", "d" * 20_001, tag="20001"),
    F("follow-up", "priority", 4, tag="4"),
    F("follow-up", "tracker", None),
    ghost("follow-up", "tracker"),
    ghost("follow-up", "as_agent"),
    # changelog
    F("changelog", "title", "t" * 301, tag="301"),
    rule("changelog", "title", "first line\nsecond-line-secret", tag="newline"),
    F("changelog", "problem", "p" * 20_001, tag="20001"),
    rule("changelog", "problem", "nul\x00hidden-text", tag="nul"),
    F("changelog", "fix", None),
    F("changelog", "verified", 5),
    F("changelog", "files", FILES_101, tag="101", secret="src/file-7.py"),
    F(
        "changelog",
        "files",
        ["f" * 501],
        tag="path-501",
        loc=("body", "files", 0),
        secret="f" * 501,
    ),
    F("changelog", "task_ids", numbers(51), tag="51"),
    F("changelog", "task_ids", [0], tag="zero", loc=("body", "task_ids", 0)),
    F("changelog", "task_ids", [99], tag="missing", http=404, code="not-found", field="task_ids"),
    F("changelog", "as_agent", None, tag="no-agent", code="invalid", field="as_agent"),
    ghost("changelog", "as_agent"),
    # Nested beyond what the JSON parser recurses into.
    Bad(
        "create-json-too-deep",
        "POST",
        TASKS,
        status=400,
        code="bad-request",
        actor="owner",
        raw=b'{"title": "x", "metadata": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
    ),
    Bad(
        "changelog-surrogate",
        "POST",
        LOG,
        raw=b'{"title": "\\ud800x", "problem": "p", "fix": "f", "verified": "v"}',
        loc=("body", "title"),
        actor="owner",
    ),
]


CASES = shape_cases() + FIELD_CASES


def test_cases_are_distinct_and_cover_every_write() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for route in WRITES:  # beyond the six shape cases each route gets
        assert sum(case.id.startswith(route + "-") for case in FIELD_CASES) >= 2, route


async def test_the_snapshot_covers_every_table(world: ApiWorld) -> None:
    """Every table of the models is compared, and the task tables hold rows to compare."""
    tables = await snapshot(world.database)
    assert set(tables) == {table.name for table in Base.metadata.sorted_tables}
    for name in ("tasks", "task_dependencies", "changelog_entries", "changelog_task_links"):
        assert tables[name][0] > 0, name


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_bad_input_is_refused_and_changes_nothing(world: ApiWorld, case: Bad) -> None:
    await assert_refused_unchanged(world, case)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("route", list(WRITES))
async def test_body_over_limit_is_413(world: ApiWorld, route: str, chunked: bool) -> None:
    method, path, _, who = WRITES[route]
    limit = world.settings.max_body_bytes
    payload = b'{"title": "' + b"x" * limit + b'"}'
    content: bytes | AsyncIterator[bytes] = payload
    if chunked:

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(payload), 65_536):
                yield payload[start : start + 65_536]

        content = chunks()
    headers = {**bearer(world.tokens[who]), "content-type": "application/json"}
    before = await snapshot(world.database)
    response = await world.client.request(method, API + path, content=content, headers=headers)
    assert ("content-length" in response.request.headers) is not chunked
    assert_problem(response, 413, "body-too-large")
    assert_no_echo(response, "x" * 100)
    assert await snapshot(world.database) == before


@pytest.mark.parametrize("route", [*WRITES, *BODILESS])
async def test_valid_bodies_are_accepted(world: ApiWorld, route: str) -> None:
    """The premise of every case above: without its flaw, the request goes through.

    Each route gets a project of its own, populated like alpha, so alpha stays untouched.
    """
    slug = f"ok-{route}"
    await world.factory.project(slug, world.users["owner"])
    await populate(world.database, world.settings, slug)
    if route in WRITES:
        method, path, body, who = WRITES[route]
    else:
        (method, path, who), body = BODILESS[route], None
    token = world.tokens["owner"]
    if who == "backend":
        token = await world.factory.token(world.users["owner"], project=slug, agent="backend")
    path = path.replace("/projects/alpha/", f"/projects/{slug}/")
    response = await world.client.request(
        method,
        API + path,
        content=None if body is None else json.dumps(body),
        headers={**bearer(token), "content-type": "application/json"},
    )
    assert response.status_code in (200, 201), response.text[:500]
