"""The seed's house rules, checked on our own code on every test run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "crewboard"
SRC_FILES = sorted(SRC.rglob("*.py"))
ALL_FILES = sorted([*SRC_FILES, *(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")])

PRINT = re.compile(r"(^|[^.\w])print\(")
SILENT_EXCEPT = re.compile(r"^\s*except(\s+Exception)?\s*:\s*\n\s*pass\s*$", re.MULTILINE)
BARE_EXCEPT = re.compile(r"^\s*except\s*:", re.MULTILINE)
FORMATTED_SQL = re.compile(
    r"(text|execute|exec_driver_sql)\(\s*f[\"']"
    r"|(text|execute)\([^)]*\.format\("
    r"|(text|execute)\([^)]*%\s*\("
)
PLACEHOLDER = re.compile(r"NotImplementedError|TODO|FIXME|XXX")
# Absolute paths of some machine's folders have no place in the code.
HARDCODED_PATH = re.compile(r"[\"'](/home/|/root/|/work/|/tmp/|[A-Z]:\\\\)")


def _offenders(files: list[Path], pattern: re.Pattern[str]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in files if pattern.search(p.read_text())]


def test_rules_see_the_code() -> None:
    """Guard against the checks below passing because they read nothing."""
    assert len(SRC_FILES) > 20
    assert any(p.name == "app.py" for p in SRC_FILES)


def test_at_most_500_lines_per_file() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in ALL_FILES
        if (n := len(p.read_text().splitlines())) > 500
    }
    assert long == {}


def test_logging_never_print() -> None:
    assert _offenders(SRC_FILES, PRINT) == []


def test_no_silent_or_bare_except() -> None:
    assert _offenders(SRC_FILES, SILENT_EXCEPT) == []
    assert _offenders(SRC_FILES, BARE_EXCEPT) == []


def test_parameterized_sql_only() -> None:
    assert _offenders(SRC_FILES, FORMATTED_SQL) == []


def test_no_placeholders_left() -> None:
    assert _offenders(SRC_FILES, PLACEHOLDER) == []


def test_no_hardcoded_paths() -> None:
    assert _offenders(SRC_FILES, HARDCODED_PATH) == []


# What starts a real process in a test; such a test is end to end (``make test-fast`` skips it).
PROCESS_STARTERS = {"create_subprocess_exec", "run_subprocess", "stdio_agent", "Popen", "run"}


def _marks(decorators: list[ast.expr]) -> set[str]:
    """The names of the ``pytest.mark.X`` in these expressions."""
    return {
        sub.attr
        for node in decorators
        for sub in ast.walk(node)
        if isinstance(sub, ast.Attribute)
        and isinstance(sub.value, ast.Attribute)
        and sub.value.attr == "mark"
    }


def _starts_a_process(test: ast.AST) -> bool:
    for sub in ast.walk(test):
        if not isinstance(sub, ast.Call):
            continue
        func = sub.func
        if isinstance(func, ast.Name) and func.id in PROCESS_STARTERS - {"run", "Popen"}:
            return True
        if isinstance(func, ast.Attribute) and func.attr in PROCESS_STARTERS:
            owner = func.value
            if func.attr not in {"run", "Popen"} or (
                isinstance(owner, ast.Name) and owner.id == "subprocess"
            ):
                return True
    return False


def test_tests_that_start_processes_are_marked_e2e() -> None:
    unmarked = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text())
        module = _marks(
            [
                n.value
                for n in tree.body
                if isinstance(n, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in n.targets)
            ]
        )
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            marked = "e2e" in module | _marks(node.decorator_list)
            if node.name.startswith("test_") and not marked and _starts_a_process(node):
                unmarked.append(f"{path.relative_to(ROOT)}::{node.name}")
    assert not unmarked, f"start processes but are not marked e2e: {unmarked}"
