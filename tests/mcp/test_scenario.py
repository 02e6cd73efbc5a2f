"""The seed protocol end to end: a lead and three teammates, each in its own MCP session
with its own token, over streamable HTTP."""

from __future__ import annotations

import asyncio
import re
from contextlib import AsyncExitStack

from tests.support.mcp import Agent, http_agent
from tests.support.world import World

LEAD, MATES = "architect", ("backend", "frontend", "qa")
COMPLETED = re.compile(
    r"^- \*\*\d{4}-\d{2}-\d{2}\*\*: #1 Orders table — orders table and "
    r"migration\. Files: src/orders\.py, migrations/0007\.py\. "
    r"Verified: pytest -q\.$",
    re.M,
)


async def test_lead_and_three_teammates(mcp_url: str, world: World) -> None:
    async with AsyncExitStack() as stack:
        crew: dict[str, Agent] = {
            name: await stack.enter_async_context(http_agent(mcp_url, world.tokens[name]))
            for name in (LEAD, *MATES)
        }
        lead = crew[LEAD]
        team = await lead.ok("TeamCreate", team_name="checkout", members=list(MATES))
        assert team["lead"] == LEAD
        assert set(team["members"]) == {LEAD, *MATES}

        # The shared task list, with dependencies: 1 <- 2 <- 3; 4 and 5 are free.
        for subject, priority, blocked_by in (
            ("Orders table", 0, []),
            ("Orders API", 1, ["1"]),
            ("Checkout page", 1, ["2"]),
            ("Test plan", 1, []),
            ("Styles", 2, []),
        ):
            await lead.ok(
                "TaskCreate",
                subject=subject,
                description=f"{subject} for checkout",
                priority=priority,
                team_name="checkout",
                blockedBy=blocked_by,
            )
        ready = await lead.ok("TaskList", team_name="checkout", ready=True)
        assert [t["id"] for t in ready["tasks"]] == ["1", "4", "5"]

        # Three teammates claim at once: three different tasks, never one twice.
        claims = await asyncio.gather(
            *(crew[m].ok("TaskClaim", team_name="checkout") for m in MATES)
        )
        holder = {c["id"]: c["owner"] for c in claims}
        assert set(holder) == {"1", "4", "5"}
        assert set(holder.values()) == set(MATES)
        await crew[MATES[0]].error("TaskClaim", "nothing-ready", team_name="checkout")

        # A race for one task through TaskUpdate(owner=self): exactly one wins.
        await lead.ok("TaskCreate", subject="Hotfix", description="", team_name="checkout")
        raced = await asyncio.gather(
            *(crew[m].call("TaskUpdate", taskId="6", owner=m) for m in MATES)
        )
        winners = [r for r in raced if not r.is_error]
        assert len(winners) == 1
        assert all("already-claimed" in r.content[0].text for r in raced if r.is_error)  # type: ignore[union-attr]

        # Blocked with a reason and the agent whose help is needed.
        styles = crew[holder["5"]]
        blocked = await styles.ok(
            "TaskUpdate",
            taskId="5",
            status="blocked",
            blockedReason="needs the brand colours",
            needsAgent="domain-expert",
        )
        assert blocked["statusChange"] == {"from": "in_progress", "to": "blocked"}

        # Messages: a direct one to the lead, and a broadcast to the whole team.
        table = crew[holder["1"]]
        await table.ok(
            "SendMessage", to=LEAD, message="orders table is going in", summary="progress"
        )
        sent = await lead.ok("SendMessage", to="*", message="freeze at 17:00")
        assert sorted(sent["recipients"]) == sorted(MATES)

        # Completion with outcome, files and verification; the next task becomes ready.
        done = await table.ok(
            "TaskUpdate",
            taskId="1",
            status="completed",
            outcome="orders table and migration",
            files=["src/orders.py", "migrations/0007.py"],
            verified="pytest -q",
        )
        assert done["statusChange"] == {"from": "in_progress", "to": "completed"}
        assert (await lead.ok("TaskGet", taskId="2"))["blockedBy"] == []
        assert (await table.ok("TaskClaim", taskId="2"))["owner"] == holder["1"]
        entry = await table.ok(
            "ChangelogAppend",
            title="Orders table",
            problem="no place to store orders",
            fix="added the table and its migration",
            files=["src/orders.py", "migrations/0007.py"],
            verified="pytest -q",
            taskIds=["1"],
        )
        assert entry["taskIds"] == ["1"]
        follow = await table.ok(
            "TaskCreate",
            subject="Review the orders migration",
            description="check the indexes",
            tracker="reviewer",
            followUpOf="1",
        )
        assert follow["task"]["id"] == "7"

        # Inboxes: the lead has the direct message, each teammate the broadcast.
        lead_inbox = await lead.ok("InboxRead")
        assert [(m["from"], m["text"]) for m in lead_inbox["messages"]] == [
            (holder["1"], "orders table is going in")
        ]
        for mate in MATES:
            texts = [m["text"] for m in (await crew[mate].ok("InboxRead"))["messages"]]
            assert "freeze at 17:00" in texts

        # Every tracker, read back as markdown.
        trackers = {name: await lead.text("TrackerRead", agent=name) for name in (*MATES,)}
        trackers["reviewer"] = await lead.text("TrackerRead", agent="reviewer")
        own = await table.text("TrackerRead")
        assert own == trackers[holder["1"]]
        assert COMPLETED.search(own), own
        in_progress = own.split("## In Progress")[1].split("## Pending")[0]
        assert "- #2 [P1] Orders API — owner: " in in_progress
        assert (
            f"- #5 [P2] Styles — owner: {holder['5']} — blocked: needs the brand colours "
            "(needs: domain-expert)" in trackers[holder["5"]]
        )
        assert (
            "- #7 [P2] Review the orders migration — follow-up of: #1"
            in trackers["reviewer"].split("## Pending")[1].split("## Blocked")[0]
        )
        for text in trackers.values():
            assert [line for line in text.splitlines() if line.startswith("## ")] == [
                "## In Progress",
                "## Pending",
                "## Blocked",
                "## Completed",
            ]
