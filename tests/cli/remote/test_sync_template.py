"""The template's own ``.claude/`` folder, as a user has it: ``crewboard init``, then
``crewboard sync``, then the agents' hand edits in the template's own words."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from crewboard.config import Settings
from crewboard.services.markdown import REFUSED_START
from tests.cli.crew import LEAD, Crew
from tests.support.cli import Result

TEMPLATE = Path(__file__).parents[2] / "support" / "template"
SLUG = "tpl"
BACKEND = ".claude/trackers/backend-tracker.md"
CHANGELOG = ".claude/CHANGELOG.md"


async def _init(crew: Crew, settings: Settings, repo: Path) -> Result:
    crew.monkeypatch.setenv("CREWBOARD_DATABASE_URL", settings.database_url)
    return await crew.run("init", "--repo", str(repo), "--owner", "lead@example.com")


async def _sync(crew: Crew, repo: Path) -> Result:
    result = await crew.run("sync", "--repo", str(repo), "-p", SLUG, who=LEAD)
    assert result.code == 0, result
    return result


def _files(repo: Path) -> dict[str, str]:
    claude = repo / ".claude"
    return {str(p.relative_to(repo)): p.read_text() for p in sorted(claude.rglob("*.md"))}


async def test_init_then_sync_leaves_the_pristine_template_as_it_was(
    crew: Crew, settings: Settings, tmp_path: Path
) -> None:
    repo = tmp_path / SLUG
    shutil.copytree(TEMPLATE / "pristine", repo)
    before = _files(repo)
    done = await _init(crew, settings, repo)
    assert done.code == 0, done
    assert "not imported" not in done.stdout + done.stderr
    await _sync(crew, repo)
    assert _files(repo) == before  # byte for byte: nothing for crewboard to add
    assert (await _sync(crew, repo)).stdout == ""


async def test_hand_edits_in_the_templates_words_are_applied_once(
    crew: Crew, settings: Settings, tmp_path: Path
) -> None:
    repo = tmp_path / SLUG
    shutil.copytree(TEMPLATE / "pristine", repo)
    assert (await _init(crew, settings, repo)).code == 0
    await _sync(crew, repo)
    tracker, log = repo / BACKEND, repo / CHANGELOG
    edits = {
        "## In Progress\n\n_None_": "## In Progress\n\n- Implement the search endpoint",
        "## Pending\n\n_None_": "## Pending\n\n- **P1**: Add an index on users.name",
        "## Blocked\n\n_None_": (
            "## Blocked\n\n- Search filters by team -- waiting for the team schema"
            " -- Needs: architect"
        ),
    }
    text = tracker.read_text()
    for old, new in edits.items():
        text = text.replace(old, new)
    # An agent writes the day it finished: today (the server records when it was completed).
    today = datetime.now(UTC).date().isoformat()
    done = f"- **{today}**: Fixed the pagination bug. Files: user_routes.py. Verified: curl test."
    text += done + "\n"
    tracker.write_text(text)
    entry = (
        f"## {today}\n\n### Backend -- Search endpoint (backend agent)\n"
        f"- **{today}**: Implemented /api/users/search with pagination,\n"
        "  and input validation. Files: user_routes.py. Verified: curl tests PASS.\n"
    )
    log.write_text(
        log.read_text().replace(
            "_No entries yet. Agents will append here as they complete work._\n", entry
        )
    )
    edited, edited_log = tracker.read_text(), log.read_text()

    await _sync(crew, repo)
    tasks = {t["title"]: t for t in (await crew.api_in(SLUG, "/tasks"))["items"]}
    assert {title: t["status"] for title, t in tasks.items()} == {
        "Implement the search endpoint": "in_progress",
        "Add an index on users.name": "pending",
        "Search filters by team": "blocked",
        "Fixed the pagination bug": "completed",
    }
    assert tasks["Add an index on users.name"]["priority"] == 1
    blocked = tasks["Search filters by team"]
    assert (blocked["blocked_reason"], blocked["needs_agent"]) == (
        "waiting for the team schema",
        "architect",
    )
    assert tasks["Fixed the pagination bug"]["files"] == ["user_routes.py"]
    [logged] = (await crew.api_in(SLUG, "/changelog"))["items"]
    assert (logged["agent"], logged["title"]) == ("backend", "Search endpoint")

    # The files are the agent's own, with only crewboard's ids added at the ends of lines.
    assert re.sub(r" <!-- #\d+ -->", "", tracker.read_text()) == edited
    assert re.sub(r" <!-- entry \d+ -->", "", log.read_text()) == edited_log
    assert REFUSED_START not in tracker.read_text()
    assert (await _sync(crew, repo)).stdout == ""
    assert len((await crew.api_in(SLUG, "/tasks"))["items"]) == 4

    # Moving lines as the template says: the pending one to Completed in its form, the one in
    # progress to Blocked with ` -- ` and `Needs:`; each applied once.
    text = tracker.read_text()
    pending = next(line for line in text.split("\n") if "Add an index" in line)
    working = next(line for line in text.split("\n") if "Implement the search" in line)
    number = re.search(r"<!-- #(\d+) -->", pending)
    assert number is not None
    text = text.replace(pending + "\n", "").replace(working + "\n", "")
    text = text.replace("## Pending\n\n", "## Pending\n\n_None_\n")
    text = text.replace("## In Progress\n\n", "## In Progress\n\n_None_\n")
    text = text.replace(
        "## Blocked\n\n",
        "## Blocked\n\n" + working.replace(" <!--", " -- no API key -- Needs: qa <!--") + "\n",
    )
    text += f"- **{today}**: Indexed users.name. Files: migrations/0002.py. Verified: EXPLAIN. "
    text += f"<!-- #{number.group(1)} -->\n"
    tracker.write_text(text)
    await _sync(crew, repo)
    tasks = {t["title"]: t for t in (await crew.api_in(SLUG, "/tasks"))["items"]}
    indexed = tasks["Add an index on users.name"]
    assert (indexed["status"], indexed["outcome"], indexed["files"], indexed["verified"]) == (
        "completed",
        "Indexed users.name",
        ["migrations/0002.py"],
        "EXPLAIN",
    )
    search = tasks["Implement the search endpoint"]
    assert (search["status"], search["blocked_reason"], search["needs_agent"]) == (
        "blocked",
        "no API key",
        "qa",
    )
    assert REFUSED_START not in tracker.read_text()
    assert (await _sync(crew, repo)).stdout == ""
