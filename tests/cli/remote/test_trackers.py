"""``crewboard tracker show`` against a live server."""

from __future__ import annotations

from crewboard.services.markdown import parse_tracker
from tests.cli.crew import Crew
from tests.support.cli import assert_one_line_error


async def test_show_prints_the_tracker_file(crew: Crew) -> None:
    await crew.world.task("Orders table", tracker="backend", priority=1)
    shown = await crew.run("tracker", "show", "backend", who="qa")
    assert shown.code == 0, shown
    assert shown.stdout.startswith("# backend tracker\n")
    assert "\n- #1 [P1] Orders table\n" in shown.stdout
    parsed = parse_tracker(shown.stdout)
    assert (parsed.unparsed, parsed.edited) == ((), False)
    missing = await crew.run("tracker", "show", "nobody", who="qa")
    assert_one_line_error(missing, 3, "nobody", "[not-found]")
