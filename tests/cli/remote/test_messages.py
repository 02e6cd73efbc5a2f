"""``crewboard msg send|inbox|read`` against a live server: effects, JSON, errors."""

from __future__ import annotations

from tests.cli.crew import LEAD, Crew
from tests.support.cli import assert_one_line_error

AS_LEAD = ("-p", "shop")


async def test_send_inbox_read(crew: Crew) -> None:
    sent = await crew.json(
        "msg", "send", "qa", "Review #3 please", "--summary", "review", who="backend"
    )
    assert (sent["sender"], sent["recipients"], sent["summary"]) == ("backend", ["qa"], "review")
    line = await crew.run("msg", "send", "qa", "And #4", who="backend")
    assert line.code == 0, line
    assert line.stdout == f"sent message {sent['id'] + 1} to qa\n"
    listed = await crew.json("msg", "inbox", who="qa")
    assert listed == (await crew.api("/inbox", who="qa"))["items"]
    assert [m["body"] for m in listed] == ["Review #3 please", "And #4"]
    table = await crew.run("msg", "inbox", who="qa")
    for fragment in ("Messages", "backend", "review", "And #4"):
        assert fragment in table.stdout
    after = await crew.json("msg", "inbox", "--after", str(sent["id"]), who="qa")
    assert [m["body"] for m in after] == ["And #4"]
    marked = await crew.run("msg", "read", str(sent["id"]), who="qa")
    assert marked.stdout == "marked 1 message read\n"
    assert [m["body"] for m in await crew.json("msg", "inbox", who="qa")] == ["And #4"]
    every = await crew.json("msg", "inbox", "--all", who="qa")
    assert len(every) == 2
    acked = await crew.json("msg", "read", str(sent["id"] + 1), "--ack", who="qa")
    assert acked[0]["acked_at"] is not None
    assert await crew.json("msg", "inbox", who="qa") == []
    reply = await crew.json(
        "msg", "send", "backend", "Done", "--reply-to", str(sent["id"]), who="qa"
    )
    assert reply["reply_to"] == sent["id"]
    upto = await crew.json("msg", "read", "--up-to", str(reply["id"]), who="backend")
    assert upto == {"marked": 1}


async def test_broadcast_people_and_protocol(crew: Crew) -> None:
    await crew.json(
        "team", "create", "web", "--member", "qa", "--member", "reviewer", who="frontend"
    )
    cast = await crew.json("msg", "send", "team:web", "Freeze at 5", who="frontend")
    assert (cast["kind"], sorted(cast["recipients"])) == ("broadcast", ["qa", "reviewer"])
    to_lead = await crew.json("msg", "send", "@lead@example.com", "Need a call", who="qa")
    assert to_lead["recipients"] == ["@lead@example.com"]
    lead_inbox = await crew.json("msg", "inbox", *AS_LEAD, who=LEAD)
    assert [m["body"] for m in lead_inbox] == ["Need a call"]
    oversight = await crew.json("msg", "inbox", "--agent", "qa", *AS_LEAD, who=LEAD)
    assert [m["body"] for m in oversight] == ["Freeze at 5"]
    asked = await crew.json(
        "msg", "send", "backend", "Stop now", "--kind", "shutdown_request", who="architect"
    )
    answer = await crew.json(
        "msg",
        "send",
        "architect",
        "",
        "--kind",
        "shutdown_response",
        "--request-id",
        asked["request_id"],
        "--approve",
        who="backend",
    )
    assert (answer["approve"], answer["request_id"]) == (True, asked["request_id"])


async def test_errors(crew: Crew) -> None:
    ghost = await crew.run("msg", "send", "ghost", "hello", who="qa")
    assert_one_line_error(ghost, 2, "no agent ghost", "[invalid]")
    stray = await crew.run("msg", "send", "qa", "x", "--kind", "gossip", who="backend")
    assert_one_line_error(stray, 2, "--kind", "one of message")
    mixed = await crew.run("msg", "send", "team:web", "x", "--team", "web", who="backend")
    assert_one_line_error(mixed, 2, "team:NAME broadcasts")
    nothing = await crew.run("msg", "read", who="qa")
    assert_one_line_error(nothing, 2, "--up-to")
    both = await crew.run("msg", "read", "1", "--up-to", "3", who="qa")
    assert_one_line_error(both, 2, "--up-to")
    missing = await crew.run("msg", "read", "99", who="qa")
    assert_one_line_error(missing, 3, "not in your inbox", "[not-found]")
    nosy = await crew.run("msg", "inbox", "--agent", "qa", who="backend")
    assert_one_line_error(nosy, 4, "[forbidden]")
