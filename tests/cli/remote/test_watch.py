"""``crewboard msg watch`` against a live server."""

from __future__ import annotations

import json

from tests.cli.crew import LEAD, Crew


async def test_watch_once_prints_the_replay_as_json_lines(crew: Crew) -> None:
    created = await crew.run(
        "task", "add", "watch me", "--tracker", "backend", "-p", "shop", who=LEAD
    )
    assert created.code == 0, created
    result = await crew.run(
        "msg", "watch", "--once", "--after", "0", "--json", "-p", "shop", who=LEAD
    )
    assert result.code == 0, result
    events = [json.loads(line) for line in result.stdout.splitlines()]
    ids = [event["id"] for event in events]
    assert ids == sorted(ids)
    assert events[-1]["kind"] == "task.created"


async def test_watch_filters_by_kind_in_lines(crew: Crew) -> None:
    created = await crew.run(
        "task", "add", "watch me", "--tracker", "backend", "-p", "shop", who=LEAD
    )
    assert created.code == 0, created
    args = ("msg", "watch", "--once", "--after", "0", "--kind", "task.")
    result = await crew.run(*args, "-p", "shop", who=LEAD)
    assert result.code == 0, result
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert " task.created task:" in lines[0]


async def test_watch_reports_a_bad_filter(crew: Crew) -> None:
    result = await crew.run("msg", "watch", "--once", "--kind", "Bad", "-p", "shop", who=LEAD)
    assert result.code == 2
    assert "[validation]" in result.stderr


async def test_watch_inbox_once_prints_your_messages(crew: Crew) -> None:
    sent = await crew.run("msg", "send", "qa", "Review #3 please", "-p", "shop", who="backend")
    assert sent.code == 0, sent
    other = await crew.run("msg", "send", "frontend", "not for qa", "-p", "shop", who="backend")
    assert other.code == 0, other
    args = ("msg", "watch", "--inbox", "--once", "--after", "0")
    result = await crew.run(*args, "-p", "shop", who="qa")
    assert result.code == 0, result
    [line] = result.stdout.splitlines()
    assert line.startswith("message ")
    assert line.endswith(" backend message: Review #3 please")


async def test_watch_inbox_refuses_event_filters(crew: Crew) -> None:
    args = ("msg", "watch", "--inbox", "--kind", "task.", "--once")
    result = await crew.run(*args, "-p", "shop", who="qa")
    assert result.code == 2
    assert "--inbox" in result.stderr


async def test_watch_says_on_stderr_that_it_is_listening(crew: Crew) -> None:
    # Followed live (no --once), it says so before the first event, so it never looks hung;
    # here the server then refuses the filter, which ends it.
    result = await crew.run("msg", "watch", "--kind", "Bad", "-p", "shop", who=LEAD)
    assert result.code == 2
    first, *rest = result.stderr.splitlines()
    assert "watching the events of shop" in first
    assert "(Ctrl-C stops)" in first
    assert result.stdout == ""
    assert any("[validation]" in line for line in rest)
