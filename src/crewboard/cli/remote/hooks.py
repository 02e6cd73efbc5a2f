"""``crewboard hook EVENT``: Claude Code hooks that make the protocol's MANDATORY steps real.

Each reads the hook's JSON on stdin and answers with Claude Code's exit-code contract:
0 lets the agent go on (for ``session-start`` stdout becomes part of its context), 2 stops
the step and feeds stderr back to the agent, anything else is shown to the person and
changes nothing. A hook never blocks because of crewboard itself: bad input, a server that
is down or refuses is exit 1 with one line on stderr (fail open). Exit 2 is kept for the
protocol's own refusals.
"""

from __future__ import annotations

import json
import re
import sys
from contextlib import AbstractContextManager
from typing import Annotated, Any, NoReturn

import httpx
import typer

from crewboard.cli.app import new_app
from crewboard.cli.remote.connection import ProjectOption
from crewboard.client.errors import ClientError
from crewboard.client.project import Remote, connect

app = new_app(
    "Claude Code hooks (.claude/settings.json): read the hook's JSON on stdin; exit 2 sends "
    "the reason back to the agent, exit 1 (crewboard down, bad input) never blocks it."
)

STDIN_MAX = 1_000_000  # a hook's JSON is small; more is not Claude Code talking
HOOK_TIMEOUT = httpx.Timeout(3.0, connect=1.0)  # an agent waits on this: fail open, fast
BLOCK, OPEN = 2, 1
SHOWN = 5  # tasks and senders named at most
TASK_UPDATE = re.compile(r"^(mcp__[\w-]+__)?TaskUpdate$")


def _out(code: int, text: str) -> NoReturn:
    """End the hook: ``text`` on stderr (the agent reads it on exit 2)."""
    sys.stderr.write(text.rstrip("\n") + "\n")
    raise typer.Exit(code)


def _event(expected: set[str]) -> dict[str, Any]:
    """The hook's JSON object from stdin, if it is one of the expected events."""
    raw = sys.stdin.read(STDIN_MAX + 1)
    if len(raw) > STDIN_MAX:
        _out(OPEN, f"crewboard hook: the input is over {STDIN_MAX} bytes; ignored")
    try:
        data = json.loads(raw)
    except ValueError:
        _out(OPEN, "crewboard hook: the input is not JSON; ignored")
    if not isinstance(data, dict):
        _out(OPEN, "crewboard hook: the input is not a JSON object; ignored")
    name = data.get("hook_event_name")
    if name not in expected:
        _out(OPEN, f"crewboard hook: expected {' or '.join(sorted(expected))}, got {name!s:.40}")
    return data


def _remote(project: str | None) -> AbstractContextManager[Remote]:
    """The server connection, with the hooks' short timeout."""
    return connect(project, timeout=HOOK_TIMEOUT)


def _fail_open(exc: ClientError) -> NoReturn:
    _out(OPEN, f"crewboard hook: {exc} (not checked; the agent goes on)")


def _task_number(data: dict[str, Any]) -> tuple[int, str | None] | None:
    """The task being completed and the outcome given with it, or None when the event is not
    a completion of a crewboard task."""
    if data["hook_event_name"] == "TaskCompleted":
        raw, outcome = data.get("task_id"), None
    else:  # PreToolUse of TaskUpdate: only a move to completed concerns us
        tool_input = data.get("tool_input")
        if not TASK_UPDATE.match(str(data.get("tool_name", ""))) or not isinstance(
            tool_input, dict
        ):
            return None
        if tool_input.get("status") != "completed":
            return None
        raw, outcome = tool_input.get("taskId"), tool_input.get("outcome")
    text = str(raw if raw is not None else "")
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text), outcome if isinstance(outcome, str) and outcome.strip() else None


@app.command("task-completed")
def task_completed(project: ProjectOption = None) -> None:
    """TaskCompleted (or PreToolUse of TaskUpdate to completed): refuse (exit 2) while the
    task has no outcome or no changelog entry, naming what is missing and how to add it."""
    data = _event({"TaskCompleted", "PreToolUse"})
    found = _task_number(data)
    if found is None:
        return
    number, given = found
    try:
        with _remote(project) as remote:
            task = remote.get("tasks", number)
            entries = remote.get("changelog", params={"task": number, "limit": 1})["items"]
    except ClientError as exc:
        if exc.status == 404:
            return  # not a crewboard task (Claude Code's own list): nothing to check
        _fail_open(exc)
    missing = completion_gaps(given or task.get("outcome"), bool(entries))
    if missing:
        _out(BLOCK, _completion_refusal(number, str(task.get("title", "")), missing))


def completion_gaps(outcome: str | None, has_entry: bool) -> list[str]:
    """What the protocol still asks of a completion: its one-line outcome and its entry in
    the changelog (problem, fix, files, verified)."""
    missing = [] if outcome and outcome.strip() else ["outcome"]
    return missing if has_entry else [*missing, "changelog"]


def _completion_refusal(number: int, title: str, missing: list[str]) -> str:
    steps = {
        "outcome": f'say what was done: TaskUpdate {{taskId: "{number}", status: "completed", '
        'outcome: "<one line>"}',
        "changelog": "append the changelog entry first: ChangelogAppend {title, problem, fix, "
        f'files, verified, taskIds: ["{number}"]}}',
    }
    lines = [f"crewboard: task #{number} {json.dumps(title)} is not complete yet:"]
    lines += [f"- no {name}: {steps[name]}" for name in missing]
    return "\n".join(lines)


@app.command("teammate-idle")
def teammate_idle(project: ProjectOption = None) -> None:
    """TeammateIdle: keep the teammate working (exit 2) while its tracker has ready tasks
    or its inbox unread messages, naming them."""
    data = _event({"TeammateIdle"})
    try:
        with _remote(project) as remote:
            who = _who(remote, data.get("teammate_name"))
            if who is None:
                return
            agent = who[0]
            ready, unread = _work(remote, *who)
    except ClientError as exc:
        _fail_open(exc)
    if not ready and not unread:
        return
    lines = [f"crewboard: {agent} has work before going idle:"]
    if ready:
        named = ", ".join(
            f"#{t['number']} {json.dumps(t['title'])} (P{t['priority']})" for t in ready
        )
        lines.append(f"- ready on your tracker: {named}; take one with TaskClaim")
    if unread:
        senders = sorted({str(m["sender"]) for m in unread})[:SHOWN]
        more = "+" if len(unread) >= SHOWN else ""
        lines.append(
            f"- {len(unread)}{more} unread message(s) from {', '.join(senders)}; read them "
            "with InboxRead"
        )
    _out(BLOCK, "\n".join(lines))


def _who(remote: Remote, teammate: object) -> tuple[str, bool] | None:
    """Whose work to look at, and whether it is the token's own agent: an agent token's
    agent; for a person's token, the teammate Claude Code names (the server decides whether
    that person may read its inbox)."""
    me = remote.client.get("/auth/me")
    agent = me.get("agent_name") if isinstance(me, dict) else None
    if isinstance(agent, str) and agent:
        return agent, True
    return (teammate, False) if isinstance(teammate, str) and teammate else None


def _work(
    remote: Remote, agent: str, own: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The agent's ready tasks and unread messages (the first few of each)."""
    ready = remote.get("tasks", params={"ready": "true", "tracker": agent, "limit": SHOWN})
    params: dict[str, Any] = {"limit": SHOWN} if own else {"limit": SHOWN, "agent": agent}
    unread = remote.get("inbox", params=params)
    return list(ready["items"]), list(unread["items"])


@app.command("session-start")
def session_start(
    project: ProjectOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Claude Code's JSON output.")] = False,
) -> None:
    """SessionStart: put the agent's tracker summary and unread count into its context."""
    _event({"SessionStart"})
    try:
        with _remote(project) as remote:
            who = _who(remote, None)
            if who is None:
                return  # a person's session: no agent to brief
            agent = who[0]
            ready, unread = _work(remote, *who)
            mine = remote.get("tasks", params={"owner": agent, "limit": 50})["items"]
    except ClientError as exc:
        _fail_open(exc)
    text = briefing(remote.project, agent, mine, ready, unread)
    if as_json:
        out = {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": text}}
        sys.stdout.write(json.dumps(out) + "\n")
    else:
        sys.stdout.write(text + "\n")


def briefing(
    slug: str,
    agent: str,
    mine: list[dict[str, Any]],
    ready: list[dict[str, Any]],
    unread: list[dict[str, Any]],
) -> str:
    """A few lines for the agent's context: who it is, what it holds, what waits for it."""

    def listed(tasks: list[dict[str, Any]]) -> str:
        return ", ".join(f"#{t['number']} {json.dumps(t['title'])}" for t in tasks[:SHOWN])

    running = [t for t in mine if t["status"] == "in_progress"]
    blocked = [t for t in mine if t["status"] == "blocked"]
    lines = [
        f"crewboard: you are agent {agent} of project {slug} (tools: the crewboard MCP server)."
    ]
    lines.append(f"In progress: {listed(running) or 'nothing'}.")
    if blocked:
        lines.append(f"Blocked: {listed(blocked)}.")
    lines.append(f"Ready on your tracker: {listed(ready) or 'nothing'}.")
    more = "+" if len(unread) >= SHOWN else ""
    lines.append(f"Unread messages: {len(unread)}{more} (InboxRead).")
    return "\n".join(lines)
