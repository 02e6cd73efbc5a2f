"""GET …/trackers/{agent}.md and …/changelog.md: the files as text, with a strong ETag."""

from __future__ import annotations

from pathlib import Path

import httpx

from crewboard.services.markdown import parse_changelog, parse_tracker
from tests.api.harness import assert_problem
from tests.api.routes.task_http import CHANGELOG, TASKS, ok
from tests.support.database import events
from tests.support.http import API
from tests.support.world import SLUG, World

TRACKER = f"{API}/projects/{SLUG}/trackers/backend.md"
FILE = f"{API}/projects/{SLUG}/changelog.md"
TEMPLATE = Path(__file__).parents[2] / "support" / "template"


async def test_the_tracker_file_is_markdown_with_an_etag(
    client: httpx.AsyncClient, world: World
) -> None:
    ok(
        await client.post(
            TASKS,
            json={"title": "Orders table", "tracker": "backend", "priority": 1},
            headers=world.headers(),
        ),
        201,
    )
    first = await client.get(TRACKER, headers=world.headers("qa"))
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "text/markdown; charset=utf-8"
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert "- #1 [P1] Orders table" in first.text
    parsed = parse_tracker(first.text)
    assert (parsed.header and parsed.header.agent, parsed.unparsed) == ("backend", ())
    again = await client.get(TRACKER, headers={**world.headers("qa"), "If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    ok(await client.post(f"{TASKS}/1/claim", json={}, headers=world.headers("backend")))
    changed = await client.get(TRACKER, headers={**world.headers("qa"), "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "- #1 [P1] Orders table — owner: backend" in changed.text


async def test_an_agent_not_on_the_roster_has_no_tracker(
    client: httpx.AsyncClient, world: World
) -> None:
    missing = await client.get(f"{API}/projects/{SLUG}/trackers/nobody.md", headers=world.headers())
    assert_problem(missing, 404, "not-found")
    bad = await client.get(f"{API}/projects/{SLUG}/trackers/Bad%20Name.md", headers=world.headers())
    assert_problem(bad, 422, "validation")
    elsewhere = await client.get(f"{API}/projects/nosuch/changelog.md", headers=world.headers())
    assert_problem(elsewhere, 404, "not-found")


async def test_the_changelog_file_lists_entries_oldest_first(
    client: httpx.AsyncClient, world: World
) -> None:
    empty = await client.get(FILE, headers=world.headers("qa"))
    assert empty.status_code == 200
    assert parse_changelog(empty.text).entries == ()
    ok(await client.post(TASKS, json={"title": "Login"}, headers=world.headers()), 201)
    for title in ("First", "Second"):
        entry = {
            "title": title,
            "problem": "p\n# not a heading",
            "fix": "f",
            "verified": "v",
            "files": ["a.py"],
            "task_ids": [1],
        }
        ok(await client.post(CHANGELOG, json=entry, headers=world.headers("backend")), 201)
    full = await client.get(
        FILE, headers={**world.headers("qa"), "If-None-Match": empty.headers["etag"]}
    )
    assert full.status_code == 200
    parsed = parse_changelog(full.text)
    assert parsed.unparsed == ()
    assert [
        (e.record.title, e.record.agent, e.record.tasks, e.record.problem) for e in parsed.entries
    ] == [
        ("First", "backend", (1,), "p\n# not a heading"),
        ("Second", "backend", (1,), "p\n# not a heading"),
    ]
    cached = await client.get(
        FILE, headers={**world.headers("qa"), "If-None-Match": full.headers["etag"]}
    )
    assert cached.status_code == 304


async def test_a_learned_style_is_kept_on_every_render(
    client: httpx.AsyncClient, world: World
) -> None:
    text = (TEMPLATE / "pristine/.claude/trackers/backend-tracker.md").read_text()
    style = parse_tracker(text).style.to_json()
    put = await client.put(
        f"{API}/projects/{SLUG}/trackers/backend.style",
        json={"style": style},
        headers=world.headers("backend"),
    )
    assert put.status_code == 204, put.text
    assert (await client.get(TRACKER, headers=world.headers())).text == text
    ok(
        await client.post(
            TASKS, json={"title": "Orders table", "tracker": "backend"}, headers=world.headers()
        ),
        201,
    )
    shown = (await client.get(TRACKER, headers=world.headers())).text
    assert shown.startswith("# Backend Agent -- Work Tracker\n\n> This file tracks")
    assert "## Pending\n\n- [P2] Orders table <!-- #1 -->\n" in shown
    assert "<!-- crewboard:" not in shown  # the template's files carry no header

    log = (TEMPLATE / "pristine/.claude/CHANGELOG.md").read_text()
    put = await client.put(
        f"{API}/projects/{SLUG}/changelog.style",
        json={"style": parse_changelog(log).style.to_json()},
        headers=world.headers(),
    )
    assert put.status_code == 204, put.text
    assert (await client.get(FILE, headers=world.headers())).text == log


async def test_a_bad_style_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    before = (await client.get(TRACKER, headers=world.headers())).text
    for body, code in (
        ({"style": {"ids": "visible"}}, "invalid"),
        ({"style": {"preamble": ["a\u2028b"]}}, "invalid"),
        ({"style": {"colour": "red"}}, "invalid"),
        ({"style": []}, "validation"),
        ({}, "validation"),
    ):
        put = await client.put(
            f"{API}/projects/{SLUG}/trackers/backend.style", json=body, headers=world.headers()
        )
        assert_problem(put, 422, code)
    missing = await client.put(
        f"{API}/projects/{SLUG}/trackers/nobody.style", json={"style": {}}, headers=world.headers()
    )
    assert_problem(missing, 404, "not-found")
    assert (await client.get(TRACKER, headers=world.headers())).text == before


async def test_sync_reports_what_it_refused_and_bad_reports_change_nothing(
    client: httpx.AsyncClient, world: World
) -> None:
    url = f"{API}/projects/{SLUG}/sync/refused"
    line = {"line": 14, "text": "- Fix -- waits on: #99", "reason": "a link"}
    ok_ = await client.post(
        url,
        json={"file": ".claude/trackers/backend-tracker.md", "refused": [line]},
        headers=world.headers("backend"),
    )
    assert ok_.status_code == 204, ok_.text
    [event] = await events(world.database, "sync.refused")
    assert (event.subject, event.data["refused"]) == (
        "file:.claude/trackers/backend-tracker.md",
        [line],
    )
    for body, code in (
        ({"file": "/etc/passwd", "refused": [line]}, "invalid"),
        ({"file": ".claude/trackers/../../x.md", "refused": [line]}, "invalid"),
        ({"file": ".claude/CHANGELOG.md", "refused": []}, "validation"),
        ({"file": ".claude/CHANGELOG.md", "refused": [line] * 51}, "validation"),
        ({"file": ".claude/CHANGELOG.md", "refused": [{**line, "reason": "a\nb"}]}, "invalid"),
        ({"file": ".claude/CHANGELOG.md", "refused": [{**line, "reason": ""}]}, "validation"),
    ):
        bad = await client.post(url, json=body, headers=world.headers("backend"))
        assert_problem(bad, 422, code)
    assert len(await events(world.database, "sync.refused")) == 1
