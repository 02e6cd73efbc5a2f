"""A bad import file is one ``FILE:LINE: reason`` error, and the database stays as it was."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import Invalid, unit_of_work
from crewboard.services.interop import seed_demo
from crewboard.services.interop.transfer.records import LINE_MAX, parse_lines
from tests.support.database import row_counts
from tests.support.transfer import SLUG, export_lines, import_lines

Edit = Callable[[list[str]], tuple[int, str]]


def _index(lines: list[str], kind: str, nth: int = 0) -> int:
    return [i for i, line in enumerate(lines) if json.loads(line).get("type") == kind][nth]


def _change(lines: list[str], kind: str, **fields: object) -> int:
    i = _index(lines, kind)
    lines[i] = json.dumps({**json.loads(lines[i]), **fields})
    return i + 1


def truncated(lines: list[str]) -> tuple[int, str]:
    lines[-1] = lines[-1][: len(lines[-1]) // 2]
    return len(lines), "not a JSON line"


def unknown_type(lines: list[str]) -> tuple[int, str]:
    return _change(lines, "agent", type="widget"), "unknown record type 'widget'"


def wrong_version(lines: list[str]) -> tuple[int, str]:
    lines[0] = json.dumps({**json.loads(lines[0]), "version": 2})
    return 1, "unsupported format version 2"


def duplicate_task(lines: list[str]) -> tuple[int, str]:
    i = _index(lines, "task", 1)
    lines.insert(i + 1, lines[i])
    return i + 2, f"duplicate task number 2 (first on line {i + 1})"


def dangling_dependency(lines: list[str]) -> tuple[int, str]:
    return _change(lines, "dependency", blocked_by=999), "task number 999 is not in the file"


def dangling_reply(lines: list[str]) -> tuple[int, str]:
    i = next(n for n, line in enumerate(lines) if json.loads(line).get("reply_to"))
    lines[i] = json.dumps({**json.loads(lines[i]), "reply_to": 4242})
    return i + 1, "message 4242 is not in the file"


def oversized_title(lines: list[str]) -> tuple[int, str]:
    return _change(lines, "task", title="x" * 501), "title: String should have at most 500"


def oversized_line(lines: list[str]) -> tuple[int, str]:
    return _change(lines, "message", body="y" * LINE_MAX), "line longer than"


def extra_field(lines: list[str]) -> tuple[int, str]:
    return _change(lines, "team", secret="s3cret"), "secret: Extra inputs are not permitted"


def wrong_json_type(lines: list[str]) -> tuple[int, str]:
    return _change(lines, "task", priority="1"), "priority: Input should be a valid integer"


def dependency_cycle(lines: list[str]) -> tuple[int, str]:
    i = _index(lines, "dependency")
    record = json.loads(lines[i])
    back = {"type": "dependency", "task": record["blocked_by"], "blocked_by": record["task"]}
    lines.insert(i + 1, json.dumps(back))
    return i + 2, "closes a cycle"


def project_not_first(lines: list[str]) -> tuple[int, str]:
    lines[1], lines[2] = lines[2], lines[1]
    return 2, "the project record must come right after the header"


def control_characters(lines: list[str]) -> tuple[int, str]:
    return _change(lines, "task", title="\x1b[31mred"), "title contains control characters"


def tracker_outside_the_repo(lines: list[str]) -> tuple[int, str]:
    return _change(lines, "agent", tracker_path="../../.bashrc"), "tracker_path must be"


def tracker_onto_an_agent_prompt(lines: list[str]) -> tuple[int, str]:
    # Inside the repository, but not a tracker: sync would write task text into CLAUDE.md.
    return _change(lines, "agent", tracker_path="CLAUDE.md"), "tracker_path must be a .md file"


def missing_user(lines: list[str]) -> tuple[int, str]:
    return _change(lines, "member", email="ghost@example.com"), "no user with e-mail ghost@"


CASES: list[Edit] = [
    truncated,
    unknown_type,
    wrong_version,
    duplicate_task,
    dangling_dependency,
    dangling_reply,
    oversized_title,
    oversized_line,
    extra_field,
    wrong_json_type,
    dependency_cycle,
    project_not_first,
    control_characters,
    tracker_outside_the_repo,
    tracker_onto_an_agent_prompt,
    missing_user,
]


@pytest.mark.parametrize("edit", CASES, ids=[case.__name__ for case in CASES])
async def test_a_bad_file_names_its_line_and_writes_nothing(
    database: Database, settings: Settings, edit: Edit
) -> None:
    async with unit_of_work(database, write=True) as session:
        await seed_demo(session, settings, slug=SLUG, email="lead@example.com")
    lines = await export_lines(database)
    line, reason = edit(lines)
    before = await row_counts(database)
    with pytest.raises(Invalid) as caught:
        await import_lines(database, lines, slug="copy")
    assert caught.value.message.startswith(f"export.jsonl:{line}: "), caught.value.message
    assert reason in caught.value.message
    assert await row_counts(database) == before


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(Invalid, match=r"export\.jsonl:1: empty file"):
        parse_lines("export.jsonl", ["", "  "])
