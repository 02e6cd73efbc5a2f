"""The house's layers: the import-linter contracts of pyproject.toml hold, they break on a
deliberate upward import, and every service package is whole (its public names load)."""

from __future__ import annotations

import ast
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ROOT / "src" / "crewboard" / "services"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
DOMAINS = sorted(
    p.parent.relative_to(SERVICES).as_posix().replace("/", ".")
    for p in SERVICES.rglob("__init__.py")
    if p.parent != SERVICES
)


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contracts over the package found in ``src``."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=src,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_hold() -> None:
    result = _lint(ROOT / "src")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "BROKEN" not in result.stdout
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def copy_of_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package that a test may break."""
    target = tmp_path_factory.mktemp("src")
    shutil.copytree(
        ROOT / "src" / "crewboard",
        target / "crewboard",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return target


DOWN = "Dependencies point down: entry points, faces, edge, services, data"
# (file added to the copy, its one import, the contract that must break)
UPWARD = [
    ("services/core/upward.py", "import crewboard.api.problems", DOWN),
    ("models/upward.py", "import crewboard.services.tasks", DOWN),
    ("web/sideways.py", "import crewboard.api.problems", DOWN),
    (
        "services/projects/upward.py",
        "import crewboard.services.tasks",
        "The service packages keep their order",
    ),
    (
        "api/private.py",
        "import crewboard.services.tasks.claims",
        "services.tasks: imported through its __init__",
    ),
    (
        "services/teams/private.py",
        "import crewboard.services.messages.store",
        "services.messages: imported through its __init__",
    ),
    ("services/live/driver.py", "import asyncpg", "Only database/ imports a database driver"),
]


@pytest.mark.parametrize(("path", "statement", "contract"), UPWARD)
def test_a_wrong_import_breaks_a_contract(
    copy_of_src: Path, path: str, statement: str, contract: str
) -> None:
    added = copy_of_src / "crewboard" / path
    added.write_text(f'"""A deliberate wrong import."""\n\n{statement}\n')
    try:
        result = _lint(copy_of_src)
    finally:
        added.unlink()
    assert result.returncode != 0, result.stdout[-2000:]
    broken = [line for line in result.stdout.splitlines() if line.endswith(" BROKEN")]
    assert broken == [f"{contract} BROKEN"], result.stdout[-2000:]


def _exports(domain: str) -> tuple[dict[str, str], list[str], set[str]]:
    init = SERVICES.joinpath(*domain.split("."), "__init__.py")
    module = importlib.import_module(f"crewboard.services.{domain}")
    typed: set[str] = set()
    for node in ast.walk(ast.parse(init.read_text())):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom)
                typed |= {a.asname or a.name for a in imp.names}
    return dict(module.EXPORTS), list(module.__all__), typed


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_service_package_names_what_it_exports(domain: str) -> None:
    """``EXPORTS``, ``__all__`` and the typed imports list the same names, each loads, and is
    the object its module defines."""
    exports, public, typed = _exports(domain)
    assert set(exports) == set(public) == typed
    assert len(public) == len(set(public))
    package = importlib.import_module(f"crewboard.services.{domain}")
    for name, module in exports.items():
        inner = importlib.import_module(f"crewboard.services.{domain}.{module}")
        assert getattr(package, name) is getattr(inner, name)


def test_every_service_package_is_checked() -> None:
    assert {"core", "tasks", "interop.claude", "interop"} <= set(DOMAINS)
    contracts = (ROOT / "pyproject.toml").read_text()
    for domain in DOMAINS:
        assert f'allowed_importers = ["crewboard.services.{domain}"]' in contracts, domain
