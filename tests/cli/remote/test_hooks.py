"""``crewboard hook``: Claude Code's hook JSON on stdin, its exit-code contract out. Exit 2
feeds the reason back to the agent; crewboard down or bad input is exit 1 (never blocks)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from crewboard.cli import hook_run
from crewboard.services.accounts import CREW_PREFIX
from tests.cli.crew import LEAD, Crew
from tests.support.http import API, bearer
from tests.support.live import closed_port_url

# The fields every hook event carries (Claude Code's hooks reference, BaseHookInput).
BASE = {
    "session_id": "0b6a4ef2-6bd5-4b0b-9a51-1c3f0e0d7f11",
    "transcript_path": "/home/dev/.claude/projects/shop/0b6a4ef2.jsonl",
    "cwd": "/home/dev/shop",
    "permission_mode": "default",
}


def _hook(event: str, **fields: Any) -> str:
    return json.dumps({**BASE, "hook_event_name": event, **fields})


def _completed(task_id: str) -> str:
    return _hook(
        "TaskCompleted",
        task_id=task_id,
        task_subject="Orders table",
        teammate_name="backend",
        team_name="core",
    )


async def test_completion_waits_for_the_outcome_and_the_changelog(crew: Crew) -> None:
    made = await crew.json("task", "add", "Orders table", "--tracker", "backend", who="backend")
    number = str(made["number"])
    await crew.json("task", "claim", number, who="backend")
    bare = await crew.run("hook", "task-completed", who="backend", stdin=_completed(number))
    assert bare.code == 2, bare
    assert f'task #{number} "Orders table" is not complete yet' in bare.stderr
    assert "- no outcome: " in bare.stderr
    assert "- no changelog: append the changelog entry first: ChangelogAppend" in bare.stderr
    assert f'taskIds: ["{number}"]' in bare.stderr
    # Through the MCP tool: the outcome travels with the call, the entry is still missing.
    update = _hook(
        "PreToolUse",
        tool_name="mcp__crewboard__TaskUpdate",
        tool_input={"taskId": number, "status": "completed", "outcome": "table and migration"},
        tool_use_id="toolu_01",
    )
    half = await crew.run("hook", "task-completed", who="backend", stdin=update)
    assert half.code == 2, half
    assert "no outcome" not in half.stderr
    assert "no changelog" in half.stderr
    entry = ("--title", "Orders table", "--problem", "none", "--fix", "table", "--verified", "ok")
    await crew.json("changelog", "add", *entry, "--task", number, who="backend")
    done = await crew.run("hook", "task-completed", who="backend", stdin=update)
    assert (done.code, done.stdout, done.stderr) == (0, "", "")
    # The native event with no outcome recorded yet still asks for it.
    native = await crew.run("hook", "task-completed", who="backend", stdin=_completed(number))
    assert native.code == 2
    assert "no changelog" not in native.stderr


async def test_completion_hook_lets_other_calls_through(crew: Crew) -> None:
    for other in (
        _hook("PreToolUse", tool_name="mcp__crewboard__TaskUpdate", tool_input={"taskId": "1"}),
        _hook("PreToolUse", tool_name="Bash", tool_input={"command": "ls"}),
        _completed("not-a-number"),
        _completed("9999"),  # not a crewboard task: Claude Code's own list
    ):
        result = await crew.run("hook", "task-completed", who="backend", stdin=other)
        assert (result.code, result.stderr) == (0, ""), (other, result)


async def test_idle_teammate_is_kept_working_while_work_waits(crew: Crew) -> None:
    idle = _hook("TeammateIdle", teammate_name="qa", team_name="core")
    quiet = await crew.run("hook", "teammate-idle", who="qa", stdin=idle)
    assert (quiet.code, quiet.stderr) == (0, "")
    await crew.json(
        "task",
        "add",
        "Test the checkout",
        "--tracker",
        "qa",
        "-p",
        "shop",
        "--priority",
        "P1",
        who=LEAD,
    )
    await crew.json("msg", "send", "qa", "please look at #1", who="backend")
    busy = await crew.run("hook", "teammate-idle", who="qa", stdin=idle)
    assert busy.code == 2, busy
    assert "qa has work before going idle" in busy.stderr
    assert '#1 "Test the checkout" (P1)' in busy.stderr
    assert "1 unread message(s) from backend" in busy.stderr
    # Another agent's work is not qa's reason to stay.
    other = await crew.run("hook", "teammate-idle", who="frontend", stdin=idle)
    assert (other.code, other.stderr) == (0, "")


async def test_session_start_briefs_the_agent(crew: Crew) -> None:
    await crew.json("task", "add", "Schema", "--tracker", "backend", "-p", "shop", who=LEAD)
    await crew.json("task", "add", "API", "--tracker", "backend", "-p", "shop", who=LEAD)
    await crew.json("task", "claim", "1", who="backend")
    start = _hook("SessionStart", source="startup", model="claude-sonnet-4-5")
    text = await crew.run("hook", "session-start", who="backend", stdin=start)
    assert text.code == 0, text
    assert "you are agent backend of project shop" in text.stdout
    assert 'In progress: #1 "Schema".' in text.stdout
    assert 'Ready on your tracker: #2 "API".' in text.stdout
    assert "Unread messages: 0" in text.stdout
    as_json = await crew.run("hook", "session-start", "--json", who="backend", stdin=start)
    context = json.loads(as_json.stdout)["hookSpecificOutput"]
    assert context["hookEventName"] == "SessionStart"
    assert context["additionalContext"] == text.stdout.rstrip("\n")


async def test_every_hook_fails_open(crew: Crew) -> None:
    """crewboard down, or input that is not Claude Code's: one line, exit 1, never 2."""
    events = {
        "task-completed": _completed("1"),
        "teammate-idle": _hook("TeammateIdle", teammate_name="qa", team_name="core"),
        "session-start": _hook("SessionStart", source="startup"),
    }
    crew.monkeypatch.setenv("CREWBOARD_URL", closed_port_url())
    crew.monkeypatch.setenv("CREWBOARD_TOKEN", crew.token("qa"))
    for name, event in events.items():
        down = await crew.run("hook", name, stdin=event)
        assert down.code == 1, (name, down)
        assert len(down.stderr.splitlines()) == 1
        assert "not checked; the agent goes on" in down.stderr
    for name in events:
        for bad in ("not json", "[1, 2]", _hook("Stop")):
            result = await crew.run("hook", name, who="qa", stdin=bad)
            assert result.code == 1, (name, bad, result)
            assert len(result.stderr.splitlines()) == 1
            assert result.stderr.startswith("crewboard hook: ")


async def test_a_crew_credential_briefs_its_own_agent(crew: Crew) -> None:
    """With a crew credential (one environment for the whole crew), a hook acts as the
    session's own agent for its few requests (here the lead's: CREWBOARD_AGENT)."""
    assert CREW_PREFIX == hook_run.CREW_PREFIX  # the light path keeps its own copy
    async with httpx.AsyncClient(base_url=crew.url + API) as http:
        issued = await http.post(
            "/tokens", json={"project": "shop", "crew": True}, headers=bearer(crew.token(LEAD))
        )
    crew.monkeypatch.setenv("CREWBOARD_URL", crew.url)
    crew.monkeypatch.setenv("CREWBOARD_TOKEN", issued.json()["token"])
    crew.monkeypatch.setenv("CREWBOARD_AGENT", "qa")
    start = await crew.run("hook", "session-start", stdin=_hook("SessionStart", source="resume"))
    assert start.code == 0, start
    assert "you are agent qa of project shop" in start.stdout
    crew.monkeypatch.delenv("CREWBOARD_AGENT")
    nobody = await crew.run("hook", "session-start", stdin=_hook("SessionStart", source="resume"))
    assert nobody.code == 1
    assert "a crew credential needs the agent" in nobody.stderr
