"""``crewboard team …`` and the ``--team`` options of ``crewboard task …``, against a live
server: each command's effect, its JSON, its errors."""

from __future__ import annotations

from tests.cli.crew import LEAD, Crew
from tests.support.cli import assert_one_line_error

AS_LEAD = ("-p", "shop")


async def test_create_list_show(crew: Crew) -> None:
    created = await crew.json(
        "team", "create", "web", "--description", "Pages", "--member", "qa", who="frontend"
    )
    assert created == await crew.api("/teams/web")
    assert (created["lead"], [m["name"] for m in created["members"]]) == (
        "frontend",
        ["frontend", "qa"],
    )
    human = await crew.run("team", "create", "api", "--lead", "backend", *AS_LEAD, who=LEAD)
    assert human.code == 0, human
    assert human.stdout == "created team api · lead backend · 1 member\n"
    listed = await crew.json("team", "list", who="qa")
    assert listed == (await crew.api("/teams"))["items"]
    assert [t["name"] for t in listed] == ["web", "api"]
    table = await crew.run("team", "list", who="qa")
    for fragment in ("Teams", "web", "frontend, qa", "Pages", "api", "backend"):
        assert fragment in table.stdout
    await crew.world.task("Page", team="web")
    panel = await crew.run("team", "show", "web", who="qa")
    assert panel.code == 0, panel
    for fragment in ("team web", "Pages", "1 pending", "Members", "lead"):
        assert fragment in panel.stdout
    assert (await crew.json("team", "show", "web", who="qa"))["tasks"] == {"pending": 1}


async def test_members_and_edits(crew: Crew) -> None:
    await crew.json("team", "create", "web", who="frontend")
    added = await crew.json("team", "add", "web", "qa", "reviewer", who="frontend")
    assert [m["name"] for m in added["members"]] == sorted(["frontend", "qa", "reviewer"])
    joined = await crew.run("team", "add", "web", "backend", who="backend")  # joins by itself
    assert joined.stdout == "added to team web · lead frontend · 4 members\n"
    not_lead = await crew.run("team", "add", "web", "architect", who="backend")
    assert_one_line_error(not_lead, 4, "[forbidden]")
    left = await crew.json("team", "remove", "web", "backend", who="backend")
    assert "backend" not in [m["name"] for m in left["members"]]
    edited = await crew.json(
        "team", "edit", "web", "--description", "Pages", "--lead", "qa", who="frontend"
    )
    assert (edited["description"], edited["lead"]) == ("Pages", "qa")
    no_lead = await crew.json("team", "edit", "web", "--no-lead", *AS_LEAD, who=LEAD)
    assert no_lead["lead"] is None
    nothing = await crew.run("team", "edit", "web", who="qa")
    assert_one_line_error(nothing, 2, "nothing to change")
    both = await crew.run("team", "edit", "web", "--lead", "qa", "--no-lead", who="qa")
    assert_one_line_error(both, 2, "exclude each other")
    ghost = await crew.run("team", "add", "web", "ghost", *AS_LEAD, who=LEAD)
    assert_one_line_error(ghost, 3, "no agent ghost", "[not-found]")


async def test_task_options_for_teams(crew: Crew) -> None:
    await crew.json("team", "create", "web", "--member", "qa", who="frontend")
    added = await crew.json(
        "task", "add", "Checkout", "--team", "web", "--tracker", "frontend", who="frontend"
    )
    assert (added["team"], added) == ("web", await crew.api("/tasks/1"))
    await crew.world.task("Elsewhere", priority=0)
    await crew.world.task("Urgent page", team="web", priority=1)
    line = await crew.run("task", "add", "Footer", "--team", "web", who="qa")
    assert "· team web" in line.stdout
    listed = await crew.json("task", "list", "--team", "web", who="qa")
    assert [t["number"] for t in listed] == [1, 3, 4]
    ready = await crew.json("task", "ready", "--team", "web", who="qa")
    assert [t["number"] for t in ready] == [3, 1, 4]
    table = await crew.run("task", "list", "--team", "web", who="qa")
    assert "team" in table.stdout
    claimed = await crew.json("task", "claim", "--team", "web", who="qa")
    assert (claimed["number"], claimed["owner"]) == (3, "qa")
    mixed = await crew.run("task", "claim", "1", "--team", "web", who="qa")
    assert_one_line_error(mixed, 2, "claim N takes no")
    ghost = await crew.run("task", "list", "--team", "ghost", who="qa")
    assert_one_line_error(ghost, 2, "no team ghost", "[invalid]")
    both = await crew.run("task", "claim", "--team", "web", "--anywhere", who="qa")
    assert_one_line_error(both, 2, "team goes alone", "[invalid]")


async def test_delete_refused_while_busy_then_forced(crew: Crew) -> None:
    await crew.json("team", "create", "web", "--member", "qa", who="frontend")
    await crew.world.task("Page", team="web")
    await crew.world.task("Footer", team="web")
    assert (await crew.run("task", "claim", "1", who="qa")).code == 0
    busy = await crew.run("team", "delete", "web", who="frontend")
    assert_one_line_error(busy, 1, "#1 (qa)", "[team-busy]")
    lead_forcing = await crew.run("team", "delete", "web", "--force", who="frontend")
    assert_one_line_error(lead_forcing, 4, "[forbidden]")
    done = await crew.run("team", "delete", "web", "--force", *AS_LEAD, who=LEAD)
    assert done.code == 0, done
    assert done.stdout == "deleted team web; 2 tasks left it; back to pending: #1\n"
    task = await crew.world.get(1)
    assert (task.status, task.owner, task.team_id) == ("pending", None, None)
    gone = await crew.run("team", "show", "web", who="qa")
    assert_one_line_error(gone, 3, "no team web", "[not-found]")
    await crew.json("team", "create", "idle", who="qa")
    quiet = await crew.json("team", "delete", "idle", who="qa")
    assert (quiet["name"], quiet["released"], quiet["detached"]) == ("idle", [], 0)
