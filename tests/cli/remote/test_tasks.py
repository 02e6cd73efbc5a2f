"""``crewboard task …`` against a live server: each verb's effect, its JSON, its errors."""

from __future__ import annotations

import json

from tests.cli.crew import LEAD, Crew
from tests.support.cli import assert_one_line_error


async def test_add_creates_the_task_as_the_api_shows_it(crew: Crew) -> None:
    await crew.world.task("Design the schema")
    added = await crew.json(
        "task",
        "add",
        "Write the API",
        "--description",
        "REST for tasks",
        "--tracker",
        "backend",
        "--priority",
        "P1",
        "--blocked-by",
        "1",
        "--active-form",
        "Writing the API",
        who="architect",
    )
    assert added == await crew.api("/tasks/2")
    task = await crew.world.get(2)
    assert (task.title, task.description, task.tracker, task.priority, task.status) == (
        "Write the API",
        "REST for tasks",
        "backend",
        1,
        "pending",
    )
    assert (task.active_form, added["blocked_by"], added["created_by"]) == (
        "Writing the API",
        [1],
        "architect",
    )
    human = await crew.run("task", "add", "Plain one", "--priority", "0", who="architect")
    assert human.code == 0, human
    assert human.stdout.startswith('created #3 P0 pending "Plain one"'), human.stdout
    assert (await crew.world.get(3)).tracker is None


async def test_list_filters_and_pages(crew: Crew) -> None:
    for title, tracker, priority in [
        ("one", "backend", 2),
        ("two", "qa", 1),
        ("three", "backend", 0),
        ("four", None, 3),
        ("five", "backend", 1),
    ]:
        await crew.world.task(title, tracker=tracker, priority=priority)
    mine = await crew.json("task", "list", "--tracker", "backend", who="backend")
    assert mine == (await crew.api("/tasks", tracker="backend"))["items"]
    assert [t["number"] for t in mine] == [1, 3, 5]
    urgent = await crew.json("task", "list", "--priority", "P1", who="backend")
    assert [t["number"] for t in urgent] == [2, 5]
    found = await crew.json("task", "list", "--text", "thr", who="backend")
    assert [t["number"] for t in found] == [3]
    first = await crew.run("task", "list", "--limit", "2", "--json", who="backend")
    assert first.code == 0, first
    assert [t["number"] for t in json.loads(first.stdout)] == [1, 2]
    assert "--all" in first.stderr
    every = await crew.json("task", "list", "--limit", "2", "--all", who="backend")
    assert every == (await crew.api("/tasks"))["items"]
    assert len(every) == 5
    table = await crew.run("task", "list", "--status", "pending", who="backend")
    assert table.code == 0, table
    for fragment in ("Tasks", "P0", "three", "pending", "backend"):
        assert fragment in table.stdout
    none = await crew.run("task", "list", "--status", "completed", who="backend")
    assert none.stdout.strip() == "no tasks"


async def test_ready_queue_is_by_priority_then_age(crew: Crew) -> None:
    await crew.world.task("later", priority=3)
    await crew.world.task("urgent", priority=0)
    await crew.world.task("waits", priority=0, blocked_by=[1])
    await crew.world.task("normal", priority=2, tracker="qa")
    ready = await crew.json("task", "ready", who="qa")
    assert [t["number"] for t in ready] == [2, 4, 1]
    assert ready == (await crew.api("/tasks", ready="true"))["items"]
    assert await crew.json("task", "list", "--ready", who="qa") == ready
    qa_only = await crew.json("task", "ready", "--tracker", "qa", who="qa")
    assert [t["number"] for t in qa_only] == [4]


async def test_show_gives_dependencies_both_ways_and_the_history(crew: Crew) -> None:
    await crew.world.task("Schema")
    await crew.world.task("API", blocked_by=[1])
    shown = await crew.json("task", "show", "2", who="qa")
    assert shown == await crew.api("/tasks/2")
    assert (shown["blocked_by"], shown["open_blockers"]) == ([1], [1])
    assert (await crew.json("task", "show", "1", who="qa"))["blocks"] == [2]
    panel = await crew.run("task", "show", "1", who="qa")
    assert panel.code == 0, panel
    assert "#1 Schema" in panel.stdout
    assert "blocks" in panel.stdout
    assert "#2" in panel.stdout
    with_history = await crew.json("task", "show", "2", "--history", who="qa")
    assert with_history == {
        "task": shown,
        "history": (await crew.api("/tasks/2/history"))["items"],
    }
    assert with_history["history"][0]["kind"] == "task.created"
    human = await crew.run("task", "show", "2", "--history", who="qa")
    assert "History" in human.stdout
    assert "task.created" in human.stdout


async def test_claim_a_given_task_once(crew: Crew) -> None:
    await crew.world.task("Only one may have it")
    claimed = await crew.json("task", "claim", "1", who="backend")
    assert claimed == await crew.api("/tasks/1")
    task = await crew.world.get(1)
    assert (task.owner, task.status) == ("backend", "in_progress")
    assert task.lease_expires_at is not None
    second = await crew.run("task", "claim", "1", who="qa")
    assert_one_line_error(second, 1, "already claimed by backend", "[already-claimed]")
    assert (await crew.world.get(1)).owner == "backend"


async def test_claim_the_best_ready_task(crew: Crew) -> None:
    await crew.world.task("shared, P3", priority=3)
    await crew.world.task("shared, P1", priority=1)
    await crew.world.task("qa's, P0", priority=0, tracker="qa")
    human = await crew.run("task", "claim", who="backend")
    assert human.code == 0, human
    assert human.stdout.startswith('claimed #2 P1 in_progress "shared, P1"'), human.stdout
    assert "owner backend" in human.stdout
    assert "m left" in human.stdout
    anywhere = await crew.json("task", "claim", "--anywhere", who="backend")
    assert anywhere["number"] == 3
    shared = await crew.json("task", "claim", "--shared", who="frontend")
    assert shared["number"] == 1
    assert_one_line_error(await crew.run("task", "claim", who="qa"), 3, "[nothing-ready]")
    mixed = await crew.run("task", "claim", "1", "--anywhere", who="qa")
    assert_one_line_error(mixed, 2, "claim N takes no")


async def test_start_block_unblock_and_done_with_a_changelog(crew: Crew) -> None:
    await crew.world.task("Build the thing", tracker="backend")
    started = await crew.json("task", "start", "1", who="backend")
    assert started["task"] == await crew.api("/tasks/1")
    assert (started["task"]["status"], started["task"]["owner"]) == ("in_progress", "backend")
    blocked = await crew.run(
        "task",
        "block",
        "1",
        "--reason",
        "needs the schema",
        "--needs",
        "architect",
        who="backend",
    )
    assert blocked.code == 0, blocked
    assert "blocked: needs the schema → architect" in blocked.stdout
    task = await crew.world.get(1)
    assert (task.status, task.blocked_reason, task.needs_agent) == (
        "blocked",
        "needs the schema",
        "architect",
    )
    table = await crew.run("task", "list", who="architect")
    assert "needs the schema → architect" in table.stdout
    unblocked = await crew.json("task", "unblock", "1", who="backend")
    assert (unblocked["task"]["status"], unblocked["task"]["blocked_reason"]) == (
        "in_progress",
        None,
    )
    done = await crew.json(
        "task",
        "done",
        "1",
        "--outcome",
        "thing built",
        "--file",
        "src/thing.py",
        "--file",
        "tests/test_thing.py",
        "--verified",
        "pytest -q",
        "--changelog-title",
        "The thing",
        "--problem",
        "no thing",
        "--fix",
        "built it",
        who="backend",
    )
    assert done["task"] == await crew.api("/tasks/1")
    task = await crew.world.get(1)
    assert (task.status, task.outcome, task.files, task.verified) == (
        "completed",
        "thing built",
        ["src/thing.py", "tests/test_thing.py"],
        "pytest -q",
    )
    (entry,) = (await crew.api("/changelog", task="1"))["items"]
    assert entry == done["changelog"]
    # One fact, one option: --verified is the task's and its entry's.
    assert (entry["agent"], entry["title"], entry["files"], entry["verified"]) == (
        "backend",
        "The thing",
        ["src/thing.py", "tests/test_thing.py"],
        "pytest -q",
    )
    assert entry["task_ids"] == [1]
    panel = await crew.run("task", "show", "1", who="qa")
    for fragment in ("completed", "thing built", "src/thing.py", "pytest -q"):
        assert fragment in panel.stdout


async def test_done_without_a_changelog_prints_one_line(crew: Crew) -> None:
    await crew.world.task("Small fix", tracker="qa")
    result = await crew.run("task", "done", "1", "--outcome", "fixed", who="qa")
    assert result.code == 0, result
    assert result.stdout.startswith('done #1 P2 completed "Small fix"'), result.stdout
    assert "changelog" not in result.stdout
    assert (await crew.api("/changelog"))["items"] == []


async def test_release_hands_the_task_back(crew: Crew) -> None:
    await crew.world.task("Too big for me")
    assert (await crew.run("task", "claim", "1", who="backend")).code == 0
    released = await crew.json("task", "release", "1", who="backend")
    assert released["task"] == await crew.api("/tasks/1")
    task = await crew.world.get(1)
    assert (task.status, task.owner, task.lease_expires_at) == ("pending", None, None)


async def test_renew_extends_the_lease_of_ones_own_task(crew: Crew) -> None:
    await crew.world.task("Long work")
    assert (await crew.run("task", "claim", "1", who="backend")).code == 0
    before = (await crew.world.get(1)).lease_expires_at
    renewed = await crew.json("task", "renew", "1", who="backend")
    assert renewed == await crew.api("/tasks/1")
    after = (await crew.world.get(1)).lease_expires_at
    assert before is not None
    assert after is not None
    assert after >= before
    refused = await crew.run("task", "renew", "1", who="qa")
    assert refused.code == 1
    assert "not-yours" in refused.stderr


async def test_follow_up_goes_on_another_tracker(crew: Crew) -> None:
    await crew.world.task("Ship it", tracker="backend")
    follow = await crew.json(
        "task",
        "follow-up",
        "1",
        "--tracker",
        "qa",
        "--title",
        "Test the shipping",
        "--description",
        "end to end",
        "--priority",
        "P1",
        who="backend",
    )
    assert follow == await crew.api("/tasks/2")
    assert (follow["tracker"], follow["source"], follow["priority"]) == ("qa", 1, 1)
    assert (await crew.world.get(2)).description == "end to end"


async def test_a_person_acts_for_an_agent(crew: Crew) -> None:
    await crew.world.task("For the lead to hand out")
    claimed = await crew.json("task", "claim", "1", "--as", "backend", "-p", "shop", who=LEAD)
    assert claimed["owner"] == "backend"
    await crew.world.task("Another")
    alone = await crew.run("task", "claim", "2", "--project", "shop", who=LEAD)
    assert_one_line_error(alone, 2, "claiming needs an agent")
    agent_as_other = await crew.run("task", "start", "2", "--as", "qa", who="backend")
    assert_one_line_error(agent_as_other, 4, "[impersonation]")


async def test_error_paths_are_one_line(crew: Crew) -> None:
    await crew.world.task("Exists")
    assert_one_line_error(
        await crew.run("task", "show", "99", who="qa"), 3, "task #99 not found", "[not-found]"
    )
    missing = await crew.run("task", "block", "1", who="qa")
    assert_one_line_error(missing, 2, "--reason")
    bad = await crew.run("task", "add", "x", "--priority", "high", who="qa")
    assert_one_line_error(bad, 2, "0-3 or P0-P3")
    out_of_range = await crew.run("task", "add", "x", "--priority", "P7", who="qa")
    assert_one_line_error(out_of_range, 2, "[validation]", "priority")
    partial = await crew.run("task", "done", "1", "--outcome", "x", "--problem", "p", who="qa")
    assert_one_line_error(partial, 2, "--changelog-title", "--fix", "--verified")
    # One option per fact: the changelog's old name is refused, pointing at the one name.
    old_name = await crew.run(
        "task", "done", "1", "--outcome", "x", "--verification", "v", who="qa"
    )
    assert_one_line_error(old_name, 2, "--verification", "--verified")
    empty_reason = await crew.run("task", "block", "1", "--reason", "", who="qa")
    assert_one_line_error(empty_reason, 2, "reason")
    assert (await crew.world.get(1)).status == "pending"
    assert len((await crew.api("/tasks"))["items"]) == 1


async def test_tables_fit_the_terminal_and_titles_keep_their_share(crew: Crew) -> None:
    """At 80 columns a long title is one line cut with an ellipsis, while the short columns
    stay whole; at 200 it is whole; --json never changes."""
    long_title = "Checkout: validate the address, the payment and the shipping option " * 2
    await crew.json("task", "add", long_title.strip(), "--tracker", "backend", who="qa")
    await crew.json("task", "add", "Short one", who="qa")
    crew.monkeypatch.setenv("COLUMNS", "80")
    narrow = await crew.run("task", "list", who="qa")
    assert narrow.code == 0, narrow
    lines = narrow.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    row = next(line for line in lines if "Checkout" in line)
    assert "…" in row
    assert "pending" in row
    assert "backend" in row
    assert "Che\n" not in narrow.stdout
    assert any("Short one" in line for line in lines)
    crew.monkeypatch.setenv("COLUMNS", "200")
    wide = await crew.run("task", "list", who="qa")
    assert "the payment and the shipping option Checkout" in wide.stdout
    as_json = await crew.json("task", "list", who="qa")
    assert long_title.strip() in [t["title"] for t in as_json]
