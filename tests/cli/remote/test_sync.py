"""``crewboard sync`` against a live server: hand edits applied once, conflicts reported."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from crewboard.cli.remote.sync import watch_repo
from crewboard.client.credentials import Credentials
from crewboard.client.project import Remote
from crewboard.client.rest import ApiClient
from crewboard.services.markdown import REFUSED_START, parse_tracker
from crewboard.sync.follow import ServerEvents
from tests.cli.crew import LEAD, Crew
from tests.support.cli import Result
from tests.support.database import events
from tests.support.world import SLUG

TRACKER = ".claude/trackers/backend-tracker.md"
CHANGELOG = ".claude/CHANGELOG.md"
REPORT = ".claude/crewboard-conflicts.md"


async def sync(crew: Crew, repo: Path) -> Result:
    return await crew.run("sync", "--repo", str(repo), "-p", SLUG, who=LEAD)


async def synced(crew: Crew, repo: Path) -> Result:
    result = await sync(crew, repo)
    assert result.code == 0, result
    return result


def edit(repo: Path, path: str, old: str, new: str) -> None:
    file = repo / path
    text = file.read_text()
    assert old in text, text
    file.write_text(text.replace(old, new, 1))


async def test_sync_writes_the_files_and_a_rerun_applies_nothing(
    crew: Crew, tmp_path: Path
) -> None:
    await crew.world.task("Orders table", tracker="backend", priority=1)
    first = await synced(crew, tmp_path)
    assert f"wrote {TRACKER}" in first.stdout
    assert f"wrote {CHANGELOG}" in first.stdout
    assert "- #1 [P1] Orders table" in (tmp_path / TRACKER).read_text()
    assert (tmp_path / ".claude/.crewboard-sync.json").exists()
    again = await synced(crew, tmp_path)
    assert again.stdout == ""
    # A server change only: the file is rewritten.
    done = await crew.run("task", "start", "1", "--as", "backend", "-p", SLUG, who=LEAD)
    assert done.code == 0, done
    third = await synced(crew, tmp_path)
    assert third.stdout == f"wrote {TRACKER}\n"
    assert "- #1 [P1] Orders table — owner: backend" in (tmp_path / TRACKER).read_text()


async def test_each_hand_edit_is_applied_once(crew: Crew, tmp_path: Path) -> None:
    for title in ("Block me", "Finish me", "Start me", "Rename me", "Back to pending"):
        await crew.world.task(title, tracker="backend")
    await crew.world.task("Later", tracker="backend")
    started = await crew.run("task", "start", "5", "--as", "backend", "-p", SLUG, who=LEAD)
    assert started.code == 0, started
    await synced(crew, tmp_path)
    text = (tmp_path / TRACKER).read_text()
    text = text.replace("- #1 [P2] Block me\n", "").replace("- #2 [P2] Finish me\n", "")
    text = text.replace("- #3 [P2] Start me\n", "").replace("#4 [P2] Rename me", "#4 [P0] Renamed")
    text = text.replace("- #5 [P2] Back to pending — owner: backend\n", "")
    text = text.replace(
        "## Pending\n\n", "## Pending\n\n- [P1] A new task\n- #5 [P2] Back to pending\n"
    )
    text = text.replace("## In Progress\n\n", "## In Progress\n\n- #3 [P2] Start me\n")
    text = text.replace(
        "## Blocked\n\n_none_", "## Blocked\n\n- #1 [P2] Block me — blocked: no API key (needs: qa)"
    )
    text = text.replace(
        "## Completed\n\n_none_",
        "## Completed\n\n- #2 Finish me — works. Files: a.py, b.py. Verified: pytest -q.",
    )
    (tmp_path / TRACKER).write_text(text)
    with (tmp_path / CHANGELOG).open("a") as handle:
        handle.write(
            "\n## Checkout works\n\n- Agent: backend\n- Tasks: #2\n\n### Problem\n\nbroken\n\n"
            "### Fix\n\nfixed it\n\n### Files\n\n- a.py\n\n### Verification\n\npytest -q\n"
        )
    result = await synced(crew, tmp_path)
    assert result.stdout.count("applied ") == 7, result.stdout
    tasks = {t["number"]: t for t in (await crew.api("/tasks"))["items"]}
    assert (tasks[1]["status"], tasks[1]["blocked_reason"], tasks[1]["needs_agent"]) == (
        "blocked",
        "no API key",
        "qa",
    )
    assert (tasks[2]["status"], tasks[2]["outcome"], tasks[2]["files"], tasks[2]["verified"]) == (
        "completed",
        "works",
        ["a.py", "b.py"],
        "pytest -q",
    )
    assert (tasks[3]["status"], tasks[3]["owner"]) == ("in_progress", "backend")
    assert (tasks[4]["title"], tasks[4]["priority"]) == ("Renamed", 0)
    assert (tasks[5]["status"], tasks[5]["owner"]) == ("pending", None)
    assert (tasks[7]["title"], tasks[7]["tracker"], tasks[7]["priority"]) == (
        "A new task",
        "backend",
        1,
    )
    entries = (await crew.api("/changelog"))["items"]
    assert [(e["title"], e["agent"], e["task_ids"]) for e in entries] == [
        ("Checkout works", "backend", [2])
    ]
    written = (tmp_path / TRACKER).read_text()
    assert "- #7 [P1] A new task" in written
    assert "Entry: 1" in (tmp_path / CHANGELOG).read_text()
    # Once and only once: a rerun applies nothing and creates nothing.
    again = await synced(crew, tmp_path)
    assert again.stdout == ""
    assert len((await crew.api("/tasks"))["items"]) == 7
    assert len((await crew.api("/changelog"))["items"]) == 1


async def test_a_crash_before_the_state_is_saved_does_not_duplicate(
    crew: Crew, tmp_path: Path
) -> None:
    await crew.world.task("Existing", tracker="backend")
    await synced(crew, tmp_path)
    state = (tmp_path / ".claude/.crewboard-sync.json").read_text()
    edit(tmp_path, TRACKER, "- #1 [P2] Existing\n", "- #1 [P2] Existing\n- Fresh\n")
    edit(tmp_path, TRACKER, "#1 [P2] Existing", "#1 [P2] Existing!")
    edited = (tmp_path / TRACKER).read_text()
    await synced(crew, tmp_path)
    # As if the run had stopped after applying, before writing anything back:
    (tmp_path / ".claude/.crewboard-sync.json").write_text(state)
    (tmp_path / TRACKER).write_text(edited)
    replay = await synced(crew, tmp_path)
    assert "applied" not in replay.stdout
    titles = sorted(t["title"] for t in (await crew.api("/tasks"))["items"])
    assert titles == ["Existing!", "Fresh"]


async def test_a_task_changed_on_both_sides_is_a_conflict(crew: Crew, tmp_path: Path) -> None:
    await crew.world.task("Contested", tracker="backend")
    await synced(crew, tmp_path)
    edit(tmp_path, TRACKER, "#1 [P2] Contested", "#1 [P2] Mine")
    renamed = await crew.run("task", "start", "1", "--as", "backend", "-p", SLUG, who=LEAD)
    assert renamed.code == 0, renamed
    result = await sync(crew, tmp_path)
    assert result.code == 1, result
    assert "conflict: .claude/trackers/backend-tracker.md #1" in result.stderr
    assert result.stderr_lines[-1].startswith("crewboard: error: 1 conflicts")
    # The file is not frozen: it shows the server's line, and the agent's words in a block.
    text = (tmp_path / TRACKER).read_text()
    assert "- #1 [P2] Contested — owner: backend" in text
    block = text[text.index(REFUSED_START) :]
    assert "#1 changed here and on the server meanwhile" in block
    assert "Mine" in block
    report = (tmp_path / REPORT).read_text()
    assert "- #1 [P2] Mine" in report
    task = await crew.world.get(1)
    assert (task.title, task.status) == ("Contested", "in_progress")
    # A run with no new hand edit keeps the block; the next hand edit clears it.
    assert (await synced(crew, tmp_path)).stdout == ""
    assert REFUSED_START in (tmp_path / TRACKER).read_text()
    edit(tmp_path, TRACKER, "#1 [P2] Contested", "#1 [P2] Mine")
    await synced(crew, tmp_path)
    assert REFUSED_START not in (tmp_path / TRACKER).read_text()
    assert (await crew.world.get(1)).title == "Mine"
    assert not (tmp_path / REPORT).exists()


async def test_a_refused_line_never_freezes_the_file(crew: Crew, tmp_path: Path) -> None:
    await crew.world.task("Orders", tracker="backend")
    await synced(crew, tmp_path)
    edit(tmp_path, TRACKER, "- #1 [P2] Orders\n", "- #1 [P2] Orders renamed\nsome note\n")
    await crew.world.task("Follow-up from the server", tracker="backend")
    result = await sync(crew, tmp_path)
    assert result.code == 1, result
    assert f"not applied: {TRACKER}:" in result.stderr
    text = (tmp_path / TRACKER).read_text()
    # The good line was applied, the server's new task arrived, the bad line is shown.
    assert (await crew.world.get(1)).title == "Orders renamed"
    assert "- #2 [P2] Follow-up from the server" in text
    assert "some note" in text[text.index(REFUSED_START) :]
    assert "not a task line" in text
    assert "some note" in (tmp_path / REPORT).read_text()
    assert [i.task.number for i in parse_tracker(text).items] == [1, 2]
    # ... and on the dashboard, in the project's activity.
    [told] = await events(crew.world.database, "sync.refused")
    assert told.data["refused"][0]["text"] == "some note"
    # Fixed (the note becomes a task line): applied once, the block goes.
    edit(tmp_path, TRACKER, "## Pending\n\n", "## Pending\n\n- some note\n")
    await synced(crew, tmp_path)
    text = (tmp_path / TRACKER).read_text()
    assert REFUSED_START not in text
    assert "- #3 [P2] some note" in text
    assert (await synced(crew, tmp_path)).stdout == ""


async def test_a_file_it_did_not_write_is_adopted_with_its_title(
    crew: Crew, tmp_path: Path
) -> None:
    (tmp_path / ".claude/trackers").mkdir(parents=True)
    (tmp_path / TRACKER).write_text("# my notes\n")
    result = await sync(crew, tmp_path)
    assert result.code == 0, result
    text = (tmp_path / TRACKER).read_text()
    assert text.startswith("# my notes\n\n## In Progress\n")
    assert (tmp_path / ".claude/trackers/qa-tracker.md").exists()
    assert (await synced(crew, tmp_path)).stdout == ""


async def wait_for(check: object, seconds: float = 20.0) -> None:
    assert callable(check)
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the watch did not propagate the change in time")


async def test_watch_follows_server_events_and_file_edits(crew: Crew, tmp_path: Path) -> None:
    await crew.world.task("Watched", tracker="backend")
    token = crew.token(LEAD)
    stop = threading.Event()
    client = ApiClient(crew.url, token)
    remote = Remote(client, SLUG)
    thread = threading.Thread(
        target=watch_repo, args=(remote, Credentials(crew.url, token, SLUG), tmp_path, stop)
    )
    thread.start()
    try:
        tracker = tmp_path / TRACKER

        async def written() -> bool:
            return tracker.exists() and "- #1 [P2] Watched" in tracker.read_text()

        await wait_for(written)
        await crew.world.task("From the server", tracker="backend")

        async def server_change() -> bool:
            return "From the server" in tracker.read_text()

        await wait_for(server_change)
        await asyncio.sleep(0.7)  # past the poll, so the edit is a change of its own
        edit(tmp_path, TRACKER, "#1 [P2] Watched", "#1 [P2] Edited by hand")

        async def file_change() -> bool:
            return (await crew.world.get(1)).title == "Edited by hand"

        await wait_for(file_change)
    finally:
        stop.set()
        await asyncio.to_thread(thread.join, 20)
        client.close()
    assert not thread.is_alive()


async def test_a_fresh_event_stream_asks_for_one_more_sync_once_joined(crew: Crew) -> None:
    """A fresh stream starts "now": a change made between the watch's first sync and the
    stream joining has no event, so joining itself wakes one more sync (seen as a flaky
    watch test when the machine was busy)."""
    wake, stop = threading.Event(), threading.Event()
    events = ServerEvents(Credentials(crew.url, crew.token(LEAD), SLUG), SLUG, wake, stop)
    events.start()
    try:
        assert await asyncio.to_thread(wake.wait, 20), "joining the stream woke no sync"
    finally:
        stop.set()
        events.close()
        events.join(5)
