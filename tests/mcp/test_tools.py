"""Every tool with the official client, over streamable HTTP and over stdio, and its error
paths."""

from __future__ import annotations

import json

import httpx

from crewboard.database import Database
from tests.mcp.conftest import Connect
from tests.support.database import row_counts
from tests.support.factory import Factory
from tests.support.world import World

NAMES = {
    "TeamCreate",
    "TeamDelete",
    "TaskCreate",
    "TaskList",
    "TaskGet",
    "TaskUpdate",
    "TaskClaim",
    "SendMessage",
    "InboxRead",
    "TrackerRead",
    "ChangelogAppend",
}


async def test_tools_list_is_complete_and_small(connect: Connect, world: World) -> None:
    async with connect(world.tokens["backend"]) as agent:
        listed = await agent.session.list_tools()
    assert {t.name for t in listed.tools} == NAMES
    update = next(t for t in listed.tools if t.name == "TaskUpdate")
    assert update.input_schema["required"] == ["taskId"]
    assert {
        "subject",
        "status",
        "owner",
        "addBlocks",
        "addBlockedBy",
        "metadata",
        "blockedReason",
        "needsAgent",
        "outcome",
        "files",
        "verified",
    } <= set(update.input_schema["properties"])
    wire = json.dumps(listed.model_dump(by_alias=True, exclude_none=True, mode="json"))
    assert len(wire) < 8_000, len(wire)
    assert "title" not in json.dumps(update.input_schema)


async def test_task_tools(connect: Connect, world: World) -> None:
    async with connect(world.tokens["backend"]) as agent:
        first = await agent.ok(
            "TaskCreate",
            subject="Orders table",
            description="the table",
            activeForm="Adding the orders table",
            metadata={"k": 1},
            priority=1,
            tracker="backend",
        )
        assert first == {"task": {"id": "1", "subject": "Orders table"}}
        await agent.ok("TaskCreate", subject="Orders API", description="", blockedBy=["1"])
        listed = await agent.ok("TaskList")
        assert [(t["id"], t["blockedBy"]) for t in listed["tasks"]] == [("1", []), ("2", ["1"])]
        assert (await agent.ok("TaskList", ready=True))["tasks"][0]["id"] == "1"
        page = await agent.ok("TaskList", limit=1)
        rest = await agent.ok("TaskList", limit=1, cursor=page["nextCursor"])
        assert rest["tasks"][0]["id"] == "2"
        assert rest["nextCursor"] is None
        got = await agent.ok("TaskGet", taskId="#1")
        assert got["blocks"] == ["2"]
        assert got["metadata"] == {"k": 1}
        assert got["priority"] == 1
        done = await agent.ok("TaskUpdate", taskId=1, owner="backend")
        assert done["statusChange"] == {"from": "pending", "to": "in_progress"}
        meta = await agent.ok("TaskUpdate", taskId="1", metadata={"k": None, "j": 2})
        assert meta["updatedFields"] == ["metadata"]
        completed = await agent.ok(
            "TaskUpdate",
            taskId="1",
            status="completed",
            outcome="table added",
            files=["a.py"],
            verified="pytest",
        )
        assert completed["statusChange"] == {"from": "in_progress", "to": "completed"}
        claimed = await agent.ok("TaskClaim")
        assert claimed["id"] == "2"
        assert claimed["owner"] == "backend"
        assert claimed["leaseExpiresAt"] is not None
        gone = await agent.ok("TaskUpdate", taskId="2", status="deleted")
        assert gone["statusChange"]["to"] == "deleted"
        assert [t["id"] for t in (await agent.ok("TaskList"))["tasks"]] == ["1"]
        assert (await agent.ok("TaskGet", taskId="1"))["metadata"] == {"j": 2}


async def test_team_message_tracker_changelog_tools(connect: Connect, world: World) -> None:
    async with connect(world.tokens["backend"]) as lead, connect(world.tokens["qa"]) as qa:
        team = await lead.ok("TeamCreate", team_name="web", members=["qa"])
        assert team == {"team_name": "web", "lead": "backend", "members": ["backend", "qa"]}
        sent = await lead.ok("SendMessage", to="*", message="hello team", summary="hi")
        assert sent["recipients"] == ["qa"]
        await lead.ok("SendMessage", type="message", recipient="qa", content="old form")
        await lead.ok(
            "SendMessage", to="qa", message={"type": "shutdown_request", "content": "wrap up"}
        )
        inbox = await qa.ok("InboxRead", mark_read=False)
        assert [m["text"] for m in inbox["messages"]] == ["hello team", "old form", "wrap up"]
        request_id = inbox["messages"][2]["request_id"]
        assert inbox["messages"][0]["from"] == "backend"
        assert not inbox["messages"][0]["read"]
        read = await qa.ok("InboxRead", limit=2)
        assert [m["read"] for m in read["messages"]] == [True, True]
        assert [m["text"] for m in (await qa.ok("InboxRead"))["messages"]] == ["wrap up"]
        assert (await qa.ok("InboxRead"))["messages"] == []
        await qa.ok(
            "SendMessage",
            to="backend",
            message={"type": "shutdown_response", "request_id": request_id, "approve": True},
        )
        await lead.ok("TaskCreate", subject="Docs", description="", tracker="backend")
        entry = await lead.ok(
            "ChangelogAppend",
            title="Docs",
            problem="none",
            fix="wrote",
            files=["README.md"],
            verified="read",
            taskIds=["1"],
        )
        assert entry["taskIds"] == ["1"]
        tracker = await qa.text("TrackerRead", agent="backend")
        assert tracker.startswith("# backend tracker\n")
        assert "- #1 [P2] Docs" in tracker
        assert (await lead.ok("TeamDelete", team_name="web"))["success"] is True


async def test_errors_are_one_line_tool_errors_and_write_nothing(
    connect: Connect, world: World, database: Database
) -> None:
    await world.task("Held", tracker="qa")
    await world.task("Mine", tracker="backend")
    async with connect(world.tokens["backend"]) as agent:
        before = await row_counts(database)
        await agent.error("TaskGet", "validation", taskId="twelve")
        await agent.error("TaskGet", "validation")
        await agent.error("TaskCreate", "validation", subject="x", description="", colour="red")
        await agent.error("TaskUpdate", "validation", taskId=1, status="done")
        await agent.error("TaskList", "validation", limit=1000)
        await agent.error("TaskGet", "not-found", taskId=99)
        await agent.error("TaskUpdate", "not-found", taskId="99", subject="x")
        await agent.error("TaskCreate", "invalid", subject="", description="")
        await agent.error("TaskCreate", "not-found", subject="x", description="", tracker="nobody")
        await agent.error("SendMessage", "invalid", to="nobody", message="hi")
        await agent.error("SendMessage", "invalid", to="*", message="hi")  # on no team
        await agent.error("SendMessage", "invalid", message="no recipient")
        await agent.error("TaskUpdate", "invalid", taskId=2, status="blocked")  # no reason
        await agent.error("TaskClaim", "invalid", team_name="nope")
        await agent.error("TeamDelete", "not-found", team_name="nope")
        await agent.error("TrackerRead", "not-found", agent="nobody")
        await agent.error("ChangelogAppend", "validation", title="t")
        await agent.error("NoSuchTool", "unknown-tool")
        # qa's task cannot be made to wait on mine from my side either.
        await agent.error("TaskUpdate", "forbidden", taskId="2", addBlocks=["1"])
        assert await row_counts(database) == before
        await agent.ok("TaskClaim", taskId="1")
    async with connect(world.tokens["qa"]) as qa:
        await qa.error("TaskClaim", "already-claimed", taskId="1")
        await qa.error("TaskUpdate", "already-claimed", taskId="1", owner="qa")
        await qa.error("TaskUpdate", "forbidden", taskId="1", subject="mine now")
        await qa.error("TaskUpdate", "version-conflict", taskId="1", version=1, subject="x")


async def test_a_token_of_another_project_sees_nothing_here(
    connect: Connect, world: World, factory: Factory
) -> None:
    await world.task("Secret", tracker="backend")
    owner = await factory.user("other@example.com")
    await factory.project("other", owner)
    await factory.agent("other", "backend")
    token = await factory.token(owner, project="other", agent="backend")
    async with connect(token) as outsider:
        await outsider.error("TaskGet", "not-found", taskId="1")
        await outsider.error("TaskClaim", "not-found", taskId="1")
        assert (await outsider.ok("TaskList"))["tasks"] == []
        await outsider.error("TrackerRead", "not-found", agent="qa")
        await outsider.error("SendMessage", "invalid", to="qa", message="hi")
    assert (await world.get(1)).owner is None


async def test_http_refuses_missing_bad_and_person_tokens(mcp_url: str, world: World) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(base_url=mcp_url) as http:
        for token, code in (
            (None, "unauthenticated"),
            ("cb_wrong", "invalid-token"),
            (world.lead_token, "agent-token-required"),
        ):
            sent = dict(headers, authorization=f"Bearer {token}") if token else headers
            response = await http.post("/mcp", json=body, headers=sent)
            assert response.status_code == 401, response.text
            assert response.json()["error"] == code
            assert response.headers["www-authenticate"].startswith("Bearer")
