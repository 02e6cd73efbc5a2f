"""A sample ``.claude/`` folder for ``crewboard init``: six agents, hand-written trackers and a
changelog, with the odd lines real files have. ``line_of`` finds a line by its text, so the
tests name lines by content rather than by counting."""

from __future__ import annotations

from pathlib import Path

AGENTS = {
    "architect": "---\nname: architect\ndescription: System design and boundaries\n"
    "tools: Read, Grep\n---\n\n# Architect\n\nYou design.\n",
    "frontend": '---\nname: frontend\ndescription: "UI, components\\nand styling"\n'
    "model: sonnet\n---\nYou build the UI.\n",
    "backend": "# Backend Agent\n\nYou are the **backend specialist** for this project. You own\n"
    "the API layer, services, database, and server-side logic.\n\n"
    "## Tracker & Team Protocol\n\nRead your tracker first.\n",
    "domain-expert": "---\nname: domain-expert\ndescription: |\n  Order states,\n"
    "  refunds and tax rules\ncolor: green\n---\n# Domain expert\n",
    "reviewer": "# Code reviewer\n",
    "qa": "---\nname: qa\ntools: Bash\n---\n\n# QA\n\nYou test everything twice.\n",
}

DOMAINS = {
    "architect": "System design and boundaries",
    "frontend": "UI, components and styling",
    "backend": "You are the **backend specialist** for this project. You own the API layer, "
    "services, database, and server-side logic.",
    "domain-expert": "Order states, refunds and tax rules",
    "reviewer": "Code reviewer",
    "qa": "You test everything twice.",
}

BACKEND = """\
# Backend Tracker

Last updated by hand.

## In Progress
- [ ] #2 [P1] Orders API — waits on: #1
- [ ] Payment webhooks

## Pending
- [ ] #7 [P0] Review the orders migration — owner: devops — follow-up of: #1
- [ ] Add rate limiting
  (needs the gateway numbers first)

## Blocked
- [ ] #5 Refund flow — blocked: needs the refund rules (needs: domain-expert)
- [ ] Invoice export waiting on accounting

## Completed
- [x] **2025-03-04**: #1 Orders table — orders table and migration. Files: src/orders.py, migrations/0007.py. Verified: pytest -q.
- [x] **2025-03-06**: Fixed the login redirect. Files: src/auth.py. Verified: manual login.
"""  # noqa: E501

FRONTEND = """\
# Frontend

## Doing
* #3 Checkout page — owner: frontend — waits on: #2
* #4 [P3] Styles — owner: designer bob

## To Do (2)
1. #2 Cart drawer
2. Empty-state illustrations

## Waiting
- #6 Payment form — blocked: PSP sandbox down

## ✅ Done
- **2025-02-28**: #8 Landing page — shipped. Files: none. Verified: not recorded.

## Notes
Remember to ask about dark mode.
"""

QA = """\
# qa tracker
<!-- crewboard: project=shop agent=qa version=0000000000000000 -->

## In Progress

_none_

## Pending

- #9 [P1] Regression suite for checkout — waits on: #3, #42

## Blocked

_none_

## Completed

- **2025-03-05**: #10 Smoke tests — all green. Files: tests/smoke.py. Verified: CI run 118.
_… and 2 more not shown_
"""

CHANGELOG = """\
# Changelog

All notable changes, newest last.

## 2025-03-04 — Orders table

- Agent: backend
- Tasks: #1, #2

### Problem

no place to store orders

### Fix

added the table and its migration

### Files

- src/orders.py
- migrations/0007.py

### Verification

pytest -q

## [2025-03-06] - Login redirect
**Agent:** backend
**Problem:** users landed on a 404 after login
**Fix:** redirect to the dashboard
**Files:** src/auth.py
**Verified:** manual login

## 2025-03-07: Checkout styles
- Agent: frontend
- Tasks: #3, #77
- Problem: the checkout looked unfinished
- Fix: new styles
"""

TRACKERS = {"backend": BACKEND, "frontend": FRONTEND, "qa": QA}


def write_repo(root: Path) -> Path:
    """The sample repository under ``root`` (created); returns ``root``."""
    for name, text in AGENTS.items():
        path = root / ".claude" / "agents" / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for name, text in TRACKERS.items():
        path = root / ".claude" / "trackers" / f"{name}-tracker.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / ".claude" / "trackers" / "notes.txt").write_text("scratch\n", encoding="utf-8")
    (root / ".claude" / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    return root


def line_of(text: str, fragment: str) -> int:
    """The 1-based number of the only line of ``text`` containing ``fragment``."""
    found = [i + 1 for i, line in enumerate(text.split("\n")) if fragment in line]
    assert len(found) == 1, (fragment, found)
    return found[0]
