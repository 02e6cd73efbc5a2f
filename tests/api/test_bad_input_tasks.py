"""Bad input to the task and changelog routes: the right problem, nothing echoed, nothing
written (every table, tasks and the changelog included, is the same before and after).

One world per backend, built once for the module: project alpha with agents backend and qa,
and tasks in every state a route needs (see ``populate``). Its owner acts as the backend
agent by naming it (``as_agent``); ``backend`` is that agent's own token.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.models import Base
from crewboard.services.changelog import ChangelogDraft, ChangelogService
from crewboard.services.task_actions import Tasks
from crewboard.services.uow import unit_of_work
from tests.api.harness import (
    API,
    NO_BODY,
    Bad,
    api_client,
    assert_no_echo,
    assert_problem,
    assert_refused,
    bearer,
    cursor,
    empty_database,
    secret_of,
    send_bad,
    snapshot,
)
from tests.api.test_bad_input import quiet_settings
from tests.factory import SYSTEM, Factory

INT32_OVER = 2**31
TASKS = "/projects/alpha/tasks"
# Task numbers in every world (see populate).
PENDING, HELD, BLOCKED, WAITS, DONE = 1, 2, 3, 4, 5
ENTRY = {"title": "Fixed it", "problem": "It broke", "fix": "Mended", "verification": "pytest"}


async def populate(database: Database, settings: Settings, slug: str) -> None:
    """Agents backend and qa, and tasks: #1 pending on backend's tracker; #2 in progress,
    held by backend; #3 blocked; #4 waits on #1; #5 completed; one changelog entry."""
    factory = Factory(database, settings)
    for agent in ("backend", "qa"):
        await factory.agent(slug, agent)
    async with unit_of_work(database, write=True) as session:
        tasks = Tasks(session, settings)
        for title in ("Pending", "Held", "Blocked"):
            await tasks.create(SYSTEM, slug, title=title, tracker="backend")
        await tasks.claim(SYSTEM, slug, HELD, as_agent="backend")
        await tasks.block(SYSTEM, slug, BLOCKED, reason="waiting")
        await tasks.create(SYSTEM, slug, title="Waits", tracker="qa", blocked_by=[PENDING])
        await tasks.create(SYSTEM, slug, title="Done", tracker="backend")
        await tasks.complete(SYSTEM, slug, DONE, outcome="done", as_agent="backend")
        draft = ChangelogDraft("Done", "p", "f", "v", task_numbers=[DONE])
        await ChangelogService(session, settings).append(SYSTEM, slug, draft, as_agent="backend")


@dataclass
class World:
    database: Database
    settings: Settings
    client: httpx.AsyncClient
    factory: Factory
    owner_id: int
    tokens: dict[str, str]


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[World]:
    database, settings = migrated_database, quiet_settings(base_settings)
    await empty_database(database)
    factory = Factory(database, settings)
    owner_id = await factory.user("owner@example.com")
    await factory.project("alpha", owner_id)
    await populate(database, settings, "alpha")
    tokens = {
        "owner": await factory.token(owner_id),
        "backend": await factory.token(owner_id, project="alpha", agent="backend"),
    }
    async with api_client(settings, database) as client:
        for token in tokens.values():  # first use recorded now, not during a case
            assert (await client.get(f"{API}/auth/me", headers=bearer(token))).status_code == 200
        yield World(database, settings, client, factory, owner_id, tokens)


# The write routes: method, path, a body it would accept (so only the named flaw is wrong),
# and who sends it. test_valid_bodies_are_accepted checks each body does get through.
WRITES: dict[str, tuple[str, str, dict[str, Any], str]] = {
    "create": ("POST", TASKS, {"title": "New task"}, "owner"),
    "patch": ("PATCH", f"{TASKS}/{PENDING}", {"version": 1, "title": "Renamed"}, "owner"),
    "claim": ("POST", f"{TASKS}/{PENDING}/claim", {"as_agent": "backend"}, "owner"),
    "claim-next": ("POST", f"{TASKS}/claim", {"as_agent": "backend"}, "owner"),
    "start": ("POST", f"{TASKS}/{PENDING}/start", {}, "backend"),
    "block": ("POST", f"{TASKS}/{HELD}/block", {"reason": "waiting"}, "backend"),
    "unblock": ("POST", f"{TASKS}/{BLOCKED}/unblock", {}, "owner"),
    "complete": ("POST", f"{TASKS}/{HELD}/complete", {"outcome": "done"}, "backend"),
    "release": ("POST", f"{TASKS}/{HELD}/release", {}, "backend"),
    "depend": ("POST", f"{TASKS}/{PENDING}/dependencies", {"blocked_by": [HELD]}, "owner"),
    "follow-up": ("POST", f"{TASKS}/{PENDING}/follow-ups", {"tracker": "qa", "title": "Next"},
                  "owner"),
    "changelog": ("POST", "/projects/alpha/changelog", {**ENTRY, "as_agent": "backend"}, "owner"),
}  # fmt: skip
# Writes without a body: they answer 2xx to exactly this request.
BODILESS = {
    "renew": ("POST", f"{TASKS}/{HELD}/renew", "backend"),
    "undepend": ("DELETE", f"{TASKS}/{WAITS}/dependencies/{PENDING}", "owner"),
}


def shape_cases() -> list[Bad]:
    """Bodies that are not the right JSON object at all, on every write route."""
    cases: list[Bad] = []
    for route, (method, path, valid, who) in WRITES.items():
        cases += [
            Bad(f"{route}-malformed", method, path, raw=b'{"title": "half-written-secret',
                status=400, code="malformed-json", actor=who, secret="half-written-secret"),
            Bad(f"{route}-no-body", method, path, loc=("body",), actor=who),
            Bad(f"{route}-list", method, path, body=[valid], loc=("body",), actor=who),
            Bad(f"{route}-string", method, path, body="a-json-string", loc=("body",), actor=who,
                secret="a-json-string"),
            Bad(f"{route}-null", method, path, body=None, loc=("body",), actor=who),
            Bad(f"{route}-unknown-field", method, path, body={**valid, "is_owner": "sneaky-extra"},
                loc=("body", "is_owner"), actor=who, secret="sneaky-extra"),
        ]  # fmt: skip
    return cases


AUTO = "<taken from the value>"


def field_case(
    route: str,
    name: str,
    value: Any,
    *,
    tag: str = "",
    http: int = 422,
    code: str = "validation",
    field: str | None = None,
    loc: tuple[str | int, ...] | None = None,
    secret: str | None = AUTO,
    **body: Any,
) -> Bad:
    """The route's valid body with ``name`` set to ``value`` (and ``body`` merged in).

    With the default ``code`` the schema refuses it at ``loc`` (default ``("body", name)``);
    with another, a service rule does (with status ``http``), naming ``field`` (if given).
    ``secret``: what the response must not contain (by default, taken from ``value``).
    """
    method, path, valid, who = WRITES[route]
    return Bad(
        f"{route}-{name}-{tag or type(value).__name__}", method, path,
        body={**valid, **body, name: value}, status=http, code=code,
        loc=loc or (("body", name) if code == "validation" else None), field=field, actor=who,
        secret=secret_of(value) if secret is AUTO else secret,
    )  # fmt: skip


def rule(
    route: str, name: str, value: Any, *, tag: str, field: str | None = None, **body: Any
) -> Bad:
    """Past the schema, refused by a service rule (422 ``invalid``) naming ``field`` (or
    ``name``)."""
    return field_case(route, name, value, tag=tag, code="invalid", field=field or name, **body)


def ghost(route: str, name: str, **body: Any) -> Bad:
    """An agent that is not on the roster: 404, naming the field.

    The detail names the agent ("no agent ghost on the roster of alpha"): a name that
    matched the strict agent-name pattern to get this far, so it is not counted as an echo.
    """
    return field_case(route, name, "ghost", tag="unknown", http=404, code="not-found",
                      field=name, secret=None, **body)  # fmt: skip


F = field_case


def numbers(n: int) -> list[int]:
    return list(range(1, n + 1))


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
    F("create", "blocked_by", [99], tag="missing", http=404, code="not-found",
      field="blocked_by"),
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
    rule("patch", "status", "completed", tag="completed-no-outcome", field="outcome",
         secret=None),
    rule("patch", "status", "blocked", tag="blocked-no-reason", field="blocked_reason",
         secret=None),
    F("patch", "status", "in_progress", tag="no-owner", http=409, code="owner-required",
      field="owner", secret=None),
    F("patch", "outcome", "o" * 1001, tag="1001", status="completed"),
    rule("patch", "outcome", "first line\nsecond-line-secret", tag="newline",
         status="completed"),
    F("patch", "blocked_reason", "r" * 2001, tag="2001", status="blocked"),
    rule("patch", "blocked_reason", "first line\nsecond-line-secret", tag="newline",
         status="blocked"),
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
    F("patch", "add_blocked_by", [99], tag="missing", http=404, code="not-found",
      field="blocked_by"),
    ghost("patch", "owner"),
    ghost("patch", "tracker"),
    ghost("patch", "as_agent"),
    ghost("patch", "needs_agent", status="blocked", blocked_reason="waiting"),
    Bad("patch-reopen-done-as-in-progress", "PATCH", f"{TASKS}/{DONE}",
        body={"version": 2, "status": "in_progress"}, code="bad-transition", field="status",
        actor="owner"),
    Bad("patch-unknown-task", "PATCH", f"{TASKS}/99", body={"version": 1, "title": "x"},
        status=404, code="not-found", actor="owner"),
    # claim, claim next, start
    ghost("claim", "as_agent"),
    F("claim", "as_agent", "Backend", tag="upper"),
    F("claim", "as_agent", 5),
    Bad("claim-no-agent", "POST", f"{TASKS}/{PENDING}/claim", body={}, code="invalid",
        field="as_agent", actor="owner"),
    Bad("claim-held", "POST", f"{TASKS}/{HELD}/claim", body={"as_agent": "qa"}, status=409,
        code="already-claimed", actor="owner"),
    Bad("claim-blocked", "POST", f"{TASKS}/{BLOCKED}/claim", body={"as_agent": "qa"},
        status=409, code="not-claimable", actor="owner"),
    Bad("claim-waiting", "POST", f"{TASKS}/{WAITS}/claim", body={"as_agent": "qa"}, status=409,
        code="blocked", actor="owner"),
    F("claim-next", "shared_only", "yes"),
    F("claim-next", "anywhere", 1),
    F("claim-next", "tracker", "Backend", tag="upper"),
    F("claim-next", "tracker", "ghost", tag="unknown", http=404, code="nothing-ready"),
    Bad("claim-next-no-agent", "POST", f"{TASKS}/claim", body={}, code="invalid",
        field="as_agent", actor="owner"),
    F("start", "version", 0, tag="zero"),
    F("start", "version", 7, tag="stale", http=409, code="version-conflict"),
    F("start", "as_agent", "qa", tag="other-agent", http=403, code="impersonation"),
    Bad("start-no-agent", "POST", f"{TASKS}/{PENDING}/start", body={}, code="invalid",
        field="as_agent", actor="owner"),
    Bad("start-done", "POST", f"{TASKS}/{DONE}/start", body={}, code="bad-transition",
        field="status", actor="backend"),
    # block, unblock, complete, release
    Bad("block-no-reason", "POST", f"{TASKS}/{HELD}/block", body={}, loc=("body", "reason"),
        actor="backend"),
    F("block", "reason", "", tag="empty"),
    F("block", "reason", 5),
    F("block", "reason", "r" * 2001, tag="2001"),
    rule("block", "reason", "   ", tag="blank", field="blocked_reason"),
    F("block", "reason", "first line\nsecond-line-secret", tag="newline", code="invalid",
      field="blocked_reason"),
    F("block", "needs_agent", "Q A", tag="space"),
    ghost("block", "needs_agent"),
    F("block", "version", 1, tag="stale", http=409, code="version-conflict"),
    F("unblock", "version", 0, tag="zero"),
    Bad("unblock-not-blocked", "POST", f"{TASKS}/{PENDING}/unblock", body={}, status=409,
        code="not-blocked", actor="owner"),
    Bad("complete-no-outcome", "POST", f"{TASKS}/{HELD}/complete", body={},
        loc=("body", "outcome"), actor="backend"),
    F("complete", "outcome", "", tag="empty"),
    F("complete", "outcome", "o" * 1001, tag="1001"),
    rule("complete", "outcome", "   ", tag="blank"),
    rule("complete", "outcome", "first line\nsecond-line-secret", tag="newline"),
    F("complete", "files", FILES_101, tag="101", secret="src/file-7.py"),
    F("complete", "files", ["f" * 501], tag="path-501", loc=("body", "files", 0),
      secret="f" * 501),
    F("complete", "verified", "v" * 1001, tag="1001"),
    replace(F("complete", "changelog", {"title": "no body parts"}, tag="partial"),
            loc=("body", "changelog", "problem")),
    # The task would complete, then the entry is refused: the completion is undone too.
    F("complete", "changelog", {**ENTRY, "title": "first line\nsecond-line-secret"},
      tag="entry-title-newline", code="invalid", field="title", secret="second-line-secret"),
    F("release", "version", "2"),
    Bad("release-as_agent-unknown", "POST", f"{TASKS}/{HELD}/release", body={"as_agent": "ghost"},
        status=404, code="not-found", field="as_agent", actor="owner"),
    F("release", "as_agent", "qa", tag="other-agent", http=403, code="impersonation"),
    # dependencies, follow-ups
    F("depend", "blocked_by", [], tag="empty"),
    F("depend", "blocked_by", numbers(51), tag="51"),
    F("depend", "blocked_by", [0], tag="zero", loc=("body", "blocked_by", 0)),
    F("depend", "blocked_by", [INT32_OVER], tag="beyond-int32", loc=("body", "blocked_by", 0)),
    F("depend", "blocked_by", ["2"], tag="string-item", loc=("body", "blocked_by", 0)),
    F("depend", "blocked_by", [PENDING], tag="self", code="dependency-cycle"),
    F("depend", "blocked_by", [WAITS], tag="cycle", http=409, code="dependency-cycle"),
    F("depend", "blocked_by", [99], tag="missing", http=404, code="not-found",
      field="blocked_by"),
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
    F("changelog", "problem", "", tag="empty"),
    F("changelog", "problem", "p" * 20_001, tag="20001"),
    rule("changelog", "problem", "nul\x00hidden-text", tag="nul"),
    F("changelog", "fix", None),
    F("changelog", "verification", 5),
    F("changelog", "files", FILES_101, tag="101", secret="src/file-7.py"),
    F("changelog", "files", ["f" * 501], tag="path-501", loc=("body", "files", 0),
      secret="f" * 501),
    F("changelog", "task_ids", numbers(51), tag="51"),
    F("changelog", "task_ids", [0], tag="zero", loc=("body", "task_ids", 0)),
    F("changelog", "task_ids", [99], tag="missing", http=404, code="not-found",
      field="task_ids"),
    F("changelog", "as_agent", None, tag="no-agent", code="invalid", field="as_agent"),
    ghost("changelog", "as_agent"),
    # Nested beyond what the JSON parser recurses into.
    Bad("create-json-too-deep", "POST", TASKS, status=400, code="bad-request", actor="owner",
        raw=b'{"title": "x", "metadata": {"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"),
    Bad("changelog-surrogate", "POST", "/projects/alpha/changelog",
        raw=b'{"title": "\\ud800x", "problem": "p", "fix": "f", "verification": "v"}',
        loc=("body", "title"), actor="owner"),
]  # fmt: skip


def if_match(tag: str, value: str, *, status: int = 422, code: str = "bad-if-match") -> Bad:
    """PATCH #1 with an If-Match header instead of a version."""
    return Bad(f"patch-if-match-{tag}", "PATCH", f"{TASKS}/{PENDING}", body={"title": "x"},
               headers={"If-Match": value}, status=status, code=code, actor="owner",
               secret=value if len(value) >= 3 else None)  # fmt: skip


HEADER_CASES = [
    if_match("text", "abc"),
    if_match("zero", '"0"'),
    if_match("negative", '"-1"'),
    if_match("star", "*"),
    if_match("beyond-int32", f'"{INT32_OVER}"'),
    if_match("weak-junk", 'W/"x1"'),
    if_match("list", '"1", "2"'),
    if_match("stale", '"7"', status=409, code="version-conflict"),
    replace(if_match("disagrees", '"1"'), body={"version": 2, "title": "x"}),
    replace(if_match("101-chars", '"' + "1" * 99 + '"'), code="validation",
            loc=("header", "if-match")),
    Bad("patch-no-version", "PATCH", f"{TASKS}/{PENDING}", body={"title": "x"}, status=428,
        code="version-required", field="version", actor="owner"),
]  # fmt: skip


def q(id: str, path: str, loc: str | None = None, **params: str) -> Bad:
    """A GET with query parameters; ``loc`` names the parameter the schema refuses."""
    return Bad(id, "GET", path, params=params, loc=("query", loc) if loc else None,
               actor="owner")  # fmt: skip


def bad_cursor(id: str, path: str, raw: str, **params: str) -> Bad:
    return Bad(id, "GET", path, params={**params, "cursor": cursor(raw)}, code="invalid-cursor",
               actor="owner")  # fmt: skip


LOG = "/projects/alpha/changelog"
HISTORY = f"{TASKS}/{PENDING}/history"
QUERY_CASES = [
    Bad("list-status-junk", "GET", TASKS, params={"status": "junk"}, loc=("query", "status", 0),
        actor="owner"),
    Bad("list-status-one-junk", "GET", TASKS, params=(("status", "pending"), ("status", "junk")),
        loc=("query", "status", 1), actor="owner"),
    Bad("list-status-7", "GET", TASKS, params=tuple(("status", "pending") for _ in range(7)),
        loc=("query", "status"), actor="owner"),
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
]  # fmt: skip


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
    at("undepend-blocker-int32", "DELETE", f"{TASKS}/{WAITS}/dependencies/{INT32_OVER}",
       "blocker"),
    at("undepend-blocker-text", "DELETE", f"{TASKS}/{WAITS}/dependencies/one", "blocker"),
    at("tasks-slug-upper", "POST", "/projects/Alpha/tasks", "slug", {"title": "x"}),
    at("log-slug-dash", "POST", "/projects/-x/changelog", "slug", ENTRY),
    Bad("undepend-not-linked", "DELETE", f"{TASKS}/{PENDING}/dependencies/{HELD}", status=404,
        code="not-found", actor="owner"),
    Bad("undepend-unknown-blocker", "DELETE", f"{TASKS}/{WAITS}/dependencies/99", status=404,
        code="not-found", actor="owner"),
    Bad("renew-not-held", "POST", f"{TASKS}/{PENDING}/renew", status=409, code="not-yours",
        actor="backend"),
    Bad("renew-as-person", "POST", f"{TASKS}/{HELD}/renew", code="invalid", field="as_agent",
        actor="owner"),
    Bad("get-unknown-task", "GET", f"{TASKS}/99", status=404, code="not-found", actor="owner"),
]  # fmt: skip

CASES = shape_cases() + FIELD_CASES + HEADER_CASES + QUERY_CASES + PATH_CASES


def test_cases_are_distinct_and_cover_every_write() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for route in [*WRITES, *BODILESS]:
        assert sum(i.startswith(route + "-") for i in ids) >= 3, route


async def test_the_snapshot_covers_every_table(world: World) -> None:
    """Every table of the models is compared, and the task tables hold rows to compare."""
    tables = await snapshot(world.database)
    assert set(tables) == {table.name for table in Base.metadata.sorted_tables}
    for name in ("tasks", "task_dependencies", "changelog_entries", "changelog_task_links"):
        assert tables[name][0] > 0, name


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_bad_input_is_refused_and_changes_nothing(world: World, case: Bad) -> None:
    before = await snapshot(world.database)
    response = await send_bad(world.client, world.tokens[case.actor], case)
    assert_refused(response, case)
    assert await snapshot(world.database) == before


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("route", list(WRITES))
async def test_body_over_limit_is_413(world: World, route: str, chunked: bool) -> None:
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
async def test_valid_bodies_are_accepted(world: World, route: str) -> None:
    """The premise of every case above: without its flaw, the request goes through.

    Each route gets a project of its own, populated like alpha, so alpha stays untouched.
    """
    slug = f"ok-{route}"
    await world.factory.project(slug, world.owner_id)
    await populate(world.database, world.settings, slug)
    if route in WRITES:
        method, path, body, who = WRITES[route]
    else:
        (method, path, who), body = BODILESS[route], None
    token = world.tokens["owner"]
    if who == "backend":
        token = await world.factory.token(world.owner_id, project=slug, agent="backend")
    path = path.replace("/projects/alpha/", f"/projects/{slug}/")
    response = await world.client.request(
        method, API + path, content=None if body is None else json.dumps(body),
        headers={**bearer(token), "content-type": "application/json"},
    )  # fmt: skip
    assert response.status_code in (200, 201), response.text[:500]
