"""Planning ``crewboard init`` from the files: numbers, links, and what gets reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from crewboard.services.interop.repo import read_repo
from crewboard.services.interop.repo.plan import DependencyCycle, Plan, plan_import


def _plan(tmp_path: Path, **trackers: str) -> Plan:
    folder = tmp_path / ".claude/trackers"
    folder.mkdir(parents=True)
    for agent, text in trackers.items():
        (folder / f"{agent}-tracker.md").write_text(text)
    return plan_import(read_repo(tmp_path))


def test_numbers_are_kept_when_free_and_assigned_after_the_highest(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        a="## Pending\n- #5 A5\n- plain\n- #5 again\n",
        b="## Pending\n- #5 B5 — waits on: #5\n- #9 B9 — follow-up of: #5\n",
    )
    assert [(t.tracker, t.written, t.number, t.title) for t in plan.tasks] == [
        ("a", 5, 5, "A5"),
        ("a", None, 10, "plain"),
        ("b", 5, 11, "B5"),
        ("b", 9, 9, "B9"),
    ]
    # "#5" means the first line that holds it; the renumbered B5 waits on A5.
    assert [(t.number, t.waits_on, t.follow_up_of) for t in plan.tasks] == [
        (5, [], None),
        (10, [], None),
        (11, [5], None),
        (9, [], 5),
    ]
    assert [(t.path, t.line, t.written, t.number) for t in plan.numbered] == [
        (".claude/trackers/a-tracker.md", 3, None, 10),
        (".claude/trackers/b-tracker.md", 2, 5, 11),
    ]
    assert [(n.line, n.reason) for n in plan.notes] == [(4, "task #5 is listed twice")]


def test_bad_lines_are_reported_not_imported(tmp_path: Path) -> None:
    text = (
        "## Pending\n- #4\n- #6 Self — waits on: #6\n- x — owner: \n"
        "## Blocked\n- #7 Stuck — blocked: (needs: Someone Else)\n"
        f"## Done\n- **2025-01-01**: Long — {'o' * 1001}. Files: a\n"
    )
    plan = _plan(tmp_path, a=text)
    assert [(t.number, t.title, t.owner) for t in plan.tasks] == [(6, "Self", None), (7, "x", None)]
    assert [(n.line, n.reason) for n in plan.notes] == [
        (2, "title must not be empty; not imported"),
        (3, "no task #6 in the trackers; link left out"),
        (6, "needs 'Someone Else' is not a valid agent name; not imported"),
        (8, "outcome is longer than 1000 characters; not imported"),
    ]


def test_a_cycle_of_waits_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DependencyCycle, match="#1 → #2 → #1"):
        _plan(tmp_path, a="## Pending\n- #1 One — waits on: #2\n- #2 Two — waits on: #1\n")


def test_a_blocked_line_without_a_reason_takes_its_title_as_the_reason(tmp_path: Path) -> None:
    plan = _plan(tmp_path, qa="## On hold\n- [ ] #3 [P1] Flaky login test — owner: backend\n")
    [task] = plan.tasks
    assert (task.status, task.owner, task.blocked_reason, task.priority) == (
        "blocked",
        "backend",
        "Flaky login test",
        1,
    )
    assert list(plan.agents) == ["qa", "backend"]
