"""``crewboard init`` on the template's own files: every task and entry in, each file's dialect
and words kept on every render, and through a project export and import too."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import Actor, unit_of_work
from crewboard.services.interop.repo import RepoImport, plan_import, read_repo
from crewboard.services.tasks import TrackerService
from tests.support.factory import Factory
from tests.support.transfer import export_lines, import_lines

TEMPLATE = Path(__file__).parents[3] / "support" / "template"
SYSTEM = Actor.system()
SLUG = "tpl"


async def test_the_templates_files_survive_a_project_export_and_import(
    database: Database, settings: Settings, factory: Factory, tmp_path: Path
) -> None:
    await factory.user("lead@example.com", admin=True)
    root = tmp_path / "repo"
    shutil.copytree(TEMPLATE / "pristine", root)
    for name in ("trackers/backend-tracker.md", "CHANGELOG.md"):
        shutil.copy(TEMPLATE / "filled/.claude" / name, root / ".claude" / name)
    plan = plan_import(read_repo(root))
    async with unit_of_work(database, write=True) as session:
        report = await RepoImport(session, settings).run(
            SYSTEM, SLUG, plan, owner="lead@example.com", repo_path=str(root)
        )
    assert report.notes == []

    async def files(slug: str) -> tuple[str, str]:
        async with unit_of_work(database, write=False) as session:
            trackers = TrackerService(session, settings)
            return (
                await trackers.markdown(SYSTEM, slug, "backend"),
                await trackers.changelog_markdown(SYSTEM, slug),
            )

    tracker, log = await files(SLUG)
    # In the file's own dialect and words, with only the ids added.
    assert (
        re.sub(r" <!-- #\d+ -->", "", tracker)
        == (root / ".claude/trackers/backend-tracker.md").read_text()
    )
    assert re.sub(r" <!-- entry \d+ -->", "", log) == (root / ".claude/CHANGELOG.md").read_text()
    await import_lines(database, await export_lines(database, SLUG), slug="copy")
    copied, copied_log = await files("copy")
    assert copied == tracker
    # The same file, but for the entries' ids (an import gives them new ones).
    assert re.sub(r"entry \d+", "entry N", copied_log) == re.sub(r"entry \d+", "entry N", log)
