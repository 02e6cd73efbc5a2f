"""``crewboard hook EVENT``: Claude Code hooks that make the protocol's MANDATORY steps real.

Each reads the hook's JSON on stdin and answers with Claude Code's exit-code contract:
0 lets the agent go on (for ``session-start`` stdout becomes part of its context), 2 stops
the step and feeds stderr back to the agent, anything else is shown to the person and
changes nothing. A hook never blocks because of crewboard itself: bad input, a server that
is down or refuses is exit 1 with one line on stderr (fail open); exit 2 is only ever the
protocol's own refusal.

Claude Code waits on these at every completion, idle teammate and session start, so they
import the standard library and the credential reader only (``crewboard.entry`` sends
``crewboard hook`` here before the command line's frameworks load): bench/hooks.py.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

from crewboard import __version__
from crewboard.client.credentials import resolve
from crewboard.client.errors import ClientError
from crewboard.client.teammate import ENV_AGENT, teammate_name

STDIN_MAX = 1_000_000  # a hook's JSON is small; more is not Claude Code talking
TIMEOUT_SECONDS = 3.0  # an agent waits on this: fail open, fast
BLOCK, OPEN = 2, 1
SHOWN = 5  # tasks and senders named at most
CREW_PREFIX = "cbcrew_"  # a crew credential (services/accounts/crew.py): not a secret
TASK_UPDATE = re.compile(r"^(mcp__[\w-]+__)?TaskUpdate$")
USAGE = (
    "usage: crewboard hook {task-completed|teammate-idle|session-start} [--json] [-p SLUG]\n"
    "Reads Claude Code's hook JSON on stdin; see docs/claude-code.md."
)
EVENTS = {
    "task-completed": {"TaskCompleted", "PreToolUse"},
    "teammate-idle": {"TeammateIdle"},
    "session-start": {"SessionStart"},
}


class HookExit(Exception):
    """The hook's answer: an exit code and what goes to stderr."""

    def __init__(self, code: int, text: str = "") -> None:
        super().__init__(text)
        self.code = code
        self.text = text


class Api:
    """GET requests to one project of the server, as the credential's identity."""

    def __init__(self, url: str, token: str, project: str | None) -> None:
        if not url.startswith(("http://", "https://")):
            raise ClientError(f"not an http(s) URL: {url[:80]}")
        self.base = f"{url}/api/v1"
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": f"crewboard-hook/{__version__}",
        }
        if token.startswith(CREW_PREFIX):
            # A crew: become this teammate's agent for the hook's few requests.
            agent = teammate_name()
            if agent is None:
                raise ClientError(f"a crew credential needs the agent: set {ENV_AGENT}")
            issued = self.send("POST", "/crew/exchange", {"agent": agent, "minutes": 5})
            self.headers["Authorization"] = f"Bearer {issued['token']}"
        self.me = self.get("/auth/me")
        slug = project or self.me.get("project")
        if not isinstance(slug, str) or not slug:
            raise HookExit(OPEN, "crewboard hook: no project: set CREWBOARD_PROJECT or pass -p")
        self.project = slug

    def get(self, path: str, **params: object) -> Any:
        """The JSON of a 2xx answer; ``ClientError`` (with the status) for anything else."""
        query = f"?{urlencode(params)}" if params else ""
        return self.send("GET", path + query)

    def send(self, method: str, path: str, body: object = None) -> Any:
        """One request; the JSON of a 2xx answer, ``ClientError`` for anything else."""
        data = None if body is None else json.dumps(body).encode()
        headers = (
            self.headers if body is None else {**self.headers, "Content-Type": "application/json"}
        )
        # http(s) only: checked when the URL was taken (no file: or custom scheme).
        request = urllib.request.Request(  # noqa: S310
            self.base + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
                return json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            raise ClientError(
                f"the server answered {exc.code} to {method} {path}", exc.code
            ) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ClientError(f"cannot reach {self.base}: {reason}") from exc

    def project_get(self, *parts: str | int, **params: object) -> Any:
        path = "/".join(["/projects", quote(self.project, safe="")])
        path += "".join(f"/{quote(str(p), safe='')}" for p in parts)
        return self.get(path, **params)


def run_hook(args: Sequence[str]) -> int:
    """Run one hook; its exit code (never 2 but for the protocol's refusals)."""
    try:
        event, as_json, project = _arguments(list(args))
        data = _event(EVENTS[event])
        try:
            credentials = resolve()
            api = Api(credentials.url, credentials.token, project or credentials.project)
            text = HANDLERS[event](api, data, as_json)
        except ClientError as exc:
            raise HookExit(OPEN, f"crewboard hook: {exc} (not checked; the agent goes on)") from exc
    except HookExit as done:
        if done.text:
            sys.stderr.write(done.text.rstrip("\n") + "\n")
        return done.code
    if text:
        sys.stdout.write(text + "\n")
    return 0


def _arguments(args: list[str]) -> tuple[str, bool, str | None]:
    if not args or args[0] in ("-h", "--help"):
        raise HookExit(0 if args else OPEN, USAGE)
    event, rest = args[0], args[1:]
    as_json = "--json" in rest
    rest = [a for a in rest if a != "--json"]
    project = None
    if rest[:1] in (["-p"], ["--project"]) and len(rest) >= 2:
        project, rest = rest[1], rest[2:]
    if event not in EVENTS or rest:
        raise HookExit(OPEN, f"crewboard hook: not understood: {' '.join(args)[:80]}\n{USAGE}")
    return event, as_json, project


def _event(expected: set[str]) -> dict[str, Any]:
    """The hook's JSON object from stdin, if it is one of the expected events."""
    raw = sys.stdin.read(STDIN_MAX + 1)
    if len(raw) > STDIN_MAX:
        raise HookExit(OPEN, f"crewboard hook: the input is over {STDIN_MAX} bytes; ignored")
    try:
        data = json.loads(raw)
    except ValueError:
        raise HookExit(OPEN, "crewboard hook: the input is not JSON; ignored") from None
    if not isinstance(data, dict):
        raise HookExit(OPEN, "crewboard hook: the input is not a JSON object; ignored")
    name = data.get("hook_event_name")
    if name not in expected:
        wanted = " or ".join(sorted(expected))
        raise HookExit(OPEN, f"crewboard hook: expected {wanted}, got {str(name)[:40]}")
    return data


# -- task-completed ------------------------------------------------------------------------


def _task_number(data: dict[str, Any]) -> tuple[int, str | None] | None:
    """The task being completed and the outcome given with it; None when the event is not a
    completion of a crewboard task."""
    if data["hook_event_name"] == "TaskCompleted":
        raw, outcome = data.get("task_id"), None
    else:  # PreToolUse of TaskUpdate: only a move to completed concerns us
        tool_input = data.get("tool_input")
        if not TASK_UPDATE.match(str(data.get("tool_name", ""))):
            return None
        if not isinstance(tool_input, dict) or tool_input.get("status") != "completed":
            return None
        raw, outcome = tool_input.get("taskId"), tool_input.get("outcome")
    text = str(raw if raw is not None else "")
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text), outcome if isinstance(outcome, str) and outcome.strip() else None


def completion_gaps(outcome: str | None, has_entry: bool) -> list[str]:
    """What the protocol still asks of a completion: its one-line outcome and its entry in
    the changelog (problem, fix, files, verified)."""
    missing = [] if outcome and outcome.strip() else ["outcome"]
    return missing if has_entry else [*missing, "changelog"]


def task_completed(api: Api, data: dict[str, Any], _as_json: bool) -> str:
    """Refuse (exit 2) while the task has no outcome or no changelog entry."""
    found = _task_number(data)
    if found is None:
        return ""
    number, given = found
    try:
        task = api.project_get("tasks", number)
    except ClientError as exc:
        if exc.status == 404:
            return ""  # not a crewboard task (Claude Code's own list): nothing to check
        raise
    entries = api.project_get("changelog", task=number, limit=1)["items"]
    missing = completion_gaps(given or task.get("outcome"), bool(entries))
    if not missing:
        return ""
    steps = {
        "outcome": f'say what was done: TaskUpdate {{taskId: "{number}", status: "completed", '
        'outcome: "<one line>"}',
        "changelog": "append the changelog entry first: ChangelogAppend {title, problem, fix, "
        f'files, verified, taskIds: ["{number}"]}}',
    }
    title = json.dumps(str(task.get("title", "")))
    lines = [f"crewboard: task #{number} {title} is not complete yet:"]
    lines += [f"- no {name}: {steps[name]}" for name in missing]
    raise HookExit(BLOCK, "\n".join(lines))


# -- teammate-idle and session-start --------------------------------------------------------


def _who(api: Api, teammate: object) -> tuple[str, bool] | None:
    """Whose work to look at, and whether it is the token's own agent: an agent token's agent;
    for a person's token, the teammate Claude Code names (the server decides whether that
    person may read its inbox)."""
    agent = api.me.get("agent_name")
    if isinstance(agent, str) and agent:
        return agent, True
    return (teammate, False) if isinstance(teammate, str) and teammate else None


def _work(api: Api, agent: str, own: bool) -> tuple[list[Any], list[Any]]:
    """The agent's ready tasks and unread messages (the first few of each)."""
    ready = api.project_get("tasks", ready="true", tracker=agent, limit=SHOWN)["items"]
    inbox = {"limit": SHOWN} if own else {"limit": SHOWN, "agent": agent}
    unread = api.project_get("inbox", **inbox)["items"]
    return list(ready), list(unread)


def _listed(tasks: list[Any], priority: bool = False) -> str:
    return ", ".join(
        f"#{t['number']} {json.dumps(t['title'])}" + (f" (P{t['priority']})" if priority else "")
        for t in tasks[:SHOWN]
    )


def teammate_idle(api: Api, data: dict[str, Any], _as_json: bool) -> str:
    """Keep the teammate working (exit 2) while ready tasks or unread messages wait."""
    who = _who(api, data.get("teammate_name"))
    if who is None:
        return ""
    ready, unread = _work(api, *who)
    if not ready and not unread:
        return ""
    lines = [f"crewboard: {who[0]} has work before going idle:"]
    if ready:
        lines.append(f"- ready on your tracker: {_listed(ready, True)}; take one with TaskClaim")
    if unread:
        senders = ", ".join(sorted({str(m["sender"]) for m in unread}))
        more = "+" if len(unread) >= SHOWN else ""
        lines.append(
            f"- {len(unread)}{more} unread message(s) from {senders}; read them with InboxRead"
        )
    raise HookExit(BLOCK, "\n".join(lines))


def session_start(api: Api, _data: dict[str, Any], as_json: bool) -> str:
    """A few lines for the agent's context: who it is, what it holds, what waits for it."""
    who = _who(api, None)
    if who is None:
        return ""  # a person's session: no agent to brief
    agent = who[0]
    ready, unread = _work(api, *who)
    mine = api.project_get("tasks", owner=agent, limit=50)["items"]
    running = [t for t in mine if t["status"] == "in_progress"]
    blocked = [t for t in mine if t["status"] == "blocked"]
    lines = [
        f"crewboard: you are agent {agent} of project {api.project} "
        "(tools: the crewboard MCP server).",
        f"In progress: {_listed(running) or 'nothing'}.",
    ]
    if blocked:
        lines.append(f"Blocked: {_listed(blocked)}.")
    lines.append(f"Ready on your tracker: {_listed(ready) or 'nothing'}.")
    more = "+" if len(unread) >= SHOWN else ""
    lines.append(f"Unread messages: {len(unread)}{more} (InboxRead).")
    text = "\n".join(lines)
    if as_json:
        context = {"hookEventName": "SessionStart", "additionalContext": text}
        return json.dumps({"hookSpecificOutput": context})
    return text


HANDLERS = {
    "task-completed": task_completed,
    "teammate-idle": teammate_idle,
    "session-start": session_start,
}
