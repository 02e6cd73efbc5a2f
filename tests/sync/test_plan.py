"""The pure diffs of ``crewboard sync``: what each hand edit of a file asks for."""

from __future__ import annotations

from datetime import date

from crewboard.services.markdown import (
    ChangelogDoc,
    ChangelogRecord,
    TrackerDoc,
    TrackerTask,
    render_changelog,
    render_tracker,
)
from crewboard.sync.plan import create_key, plan_changelog, plan_tracker, satisfied

PATH = ".claude/trackers/backend-tracker.md"
BASE = render_tracker(
    TrackerDoc(
        "shop",
        "backend",
        (
            TrackerTask("in_progress", "Orders API", 2, 1, owner="backend"),
            TrackerTask("pending", "Orders table", 1, 2),
            TrackerTask("pending", "Styles", 3, 2),
        ),
    )
)


def edit(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new)


def test_an_unedited_file_plans_nothing() -> None:
    assert plan_tracker(PATH, "backend", BASE, BASE).empty


def test_a_moved_line_changes_status_with_what_the_line_says() -> None:
    moved = edit("- #3 [P2] Styles\n", "").replace(
        "## Blocked\n\n_none_", "## Blocked\n\n- #3 [P2] Styles — blocked: no colours (needs: qa)"
    )
    plan = plan_tracker(PATH, "backend", BASE, moved)
    assert plan.problems == []
    [change] = plan.edits
    assert (change.number, dict(change.fields)) == (
        3,
        {"status": "blocked", "blocked_reason": "no colours", "needs_agent": "qa"},
    )


def test_a_move_to_blocked_without_a_reason_takes_the_lines_words() -> None:
    moved = edit("- #3 [P2] Styles\n", "").replace(
        "## Blocked\n\n_none_", "## Blocked\n\n- #3 [P2] Styles -- Needs: frontend"
    )
    [change] = plan_tracker(PATH, "backend", BASE, moved).edits
    assert dict(change.fields) == {
        "status": "blocked",
        "blocked_reason": "Styles",
        "needs_agent": "frontend",
    }


def test_the_templates_completed_line_completes_with_its_summary_as_the_outcome() -> None:
    moved = edit("- #1 [P2] Orders table\n", "").replace(
        "## Completed\n\n_none_",
        "## Completed\n\n- **2026-01-15**: #1 Added the orders table. Files: a.py."
        " Verified: pytest.",
    )
    [change] = plan_tracker(PATH, "backend", BASE, moved).edits
    assert dict(change.fields) == {
        "status": "completed",
        "outcome": "Added the orders table",
        "files": ["a.py"],
        "verified": "pytest",
    }
    same = moved.replace("Added the orders table", "Orders table")
    [change] = plan_tracker(PATH, "backend", BASE, same).edits
    assert "outcome" not in change.fields  # completed with no outcome: recorded as not given


def test_a_move_to_completed_takes_outcome_files_and_verification() -> None:
    moved = edit("- #1 [P2] Orders table\n", "").replace(
        "## Completed\n\n_none_",
        "## Completed\n\n- #1 Orders table — table added. Files: a.py, b.py. Verified: pytest.",
    )
    [change] = plan_tracker(PATH, "backend", BASE, moved).edits
    assert dict(change.fields) == {
        "status": "completed",
        "outcome": "table added",
        "files": ["a.py", "b.py"],
        "verified": "pytest",
    }


def test_a_move_to_in_progress_names_an_owner() -> None:
    moved = edit("- #1 [P2] Orders table\n", "").replace(
        "- #2 [P1] Orders API — owner: backend\n",
        "- #2 [P1] Orders API — owner: backend\n- #1 [P2] Orders table\n",
    )
    [change] = plan_tracker(PATH, "backend", BASE, moved).edits
    assert dict(change.fields) == {"status": "in_progress", "owner": "backend"}


def test_title_and_priority_edits_update_the_task() -> None:
    plan = plan_tracker(PATH, "backend", BASE, edit("#1 [P2] Orders table", "#1 [P0] Orders"))
    [change] = plan.edits
    assert dict(change.fields) == {"title": "Orders", "priority": 0}


def test_a_new_pending_line_creates_a_task_with_a_stable_key() -> None:
    local = edit("- #3 [P2] Styles\n", "- #3 [P2] Styles\n- [P1] Brand new — waits on: #1\n")
    [new] = plan_tracker(PATH, "backend", BASE, local).creates
    assert (new.title, new.priority, new.blocked_by) == ("Brand new", 1, (1,))
    again = plan_tracker(PATH, "backend", BASE, local).creates[0]
    assert again.key == new.key == create_key(PATH, BASE, new.text, 0)
    twice = local.replace("- [P1] Brand new", "- [P1] Brand new — waits on: #1\n- [P1] Brand new")
    keys = {n.key for n in plan_tracker(PATH, "backend", BASE, twice).creates}
    assert len(keys) == 2


def test_unreadable_deleted_and_foreign_lines_are_problems() -> None:
    local = edit("- #3 [P2] Styles\n", "- #9 Not ours\nstray text\n")
    plan = plan_tracker(PATH, "backend", BASE, local)
    reasons = " | ".join(p.reason for p in plan.problems)
    assert "#9 was not on this tracker" in reasons
    assert "line of #3 was deleted" in reasons
    assert len(plan.problems) == 3
    new_elsewhere = edit("## Blocked\n\n_none_", "## Blocked\n\n- Something -- no keys")
    [new] = plan_tracker(PATH, "b", BASE, new_elsewhere).creates
    assert (new.title, dict(new.then)) == (
        "Something",
        {"status": "blocked", "blocked_reason": "no keys"},
    )


def test_satisfied_tells_an_update_the_server_already_holds() -> None:
    assert satisfied(
        {"status": "blocked", "blocked_reason": "x"},
        {"status": "blocked", "blocked_reason": "x", "version": 4},
    )
    assert not satisfied({"title": "a"}, {"title": "b"})


def test_a_new_changelog_entry_is_appended_and_old_ones_are_append_only() -> None:
    old = ChangelogRecord(
        "Orders", "backend", date(2025, 3, 4), "p", "f", ("a.py",), "v", entry_id=1
    )
    base = render_changelog(ChangelogDoc("shop", (old,)))
    added = base + (
        "\n## Checkout\n\n- Agent: frontend\n\n### Problem\n\nbroken\n\n### Fix\n\nfixed\n\n"
        "### Files\n\n- web/a.ts\n\n### Verification\n\nnpm test\n"
    )
    plan = plan_changelog(".claude/CHANGELOG.md", base, added)
    assert plan.problems == []
    [entry] = plan.entries
    assert (entry.record.title, entry.record.agent, entry.record.files) == (
        "Checkout",
        "frontend",
        ("web/a.ts",),
    )
    changed = plan_changelog(".claude/CHANGELOG.md", base, base.replace("\np\n", "\nq\n"))
    assert "append-only" in changed.problems[0].reason
