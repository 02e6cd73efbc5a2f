"""``crewboard connect`` on a copy of the template: the roster registered once, the files
merged, every line of the answer true; a refused file changes neither files nor roster."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.cli.crew import Crew
from tests.services.interop.repo.test_connect import TEMPLATE, THEIR_MCP


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "shop-repo"
    shutil.copytree(TEMPLATE, root)
    (root / ".claude/agents/data-engineer.md").write_text(
        "---\nname: data-engineer\ndescription: Pipelines and the warehouse\n---\n# Data\n"
    )
    return root


async def test_connect_registers_the_roster_and_wires_the_files(crew: Crew, tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / ".mcp.json").write_bytes(THEIR_MCP)
    first = await crew.run("connect", "--repo", str(root), "-p", "shop", who="lead", stdin="")
    assert first.code == 0, first
    lines = first.stdout.splitlines()
    assert lines[0].startswith("roster of shop: added data-engineer; already there: architect,")
    assert ".mcp.json: updated" in lines
    assert ".claude/settings.json: updated" in lines
    assert "no token is written" in first.stdout
    roster = await crew.api("/agents")
    added = next(a for a in roster["items"] if a["name"] == "data-engineer")
    assert added["domain"] == "Pipelines and the warehouse"
    entry = json.loads((root / ".mcp.json").read_text())["mcpServers"]["crewboard"]
    assert entry["url"] == f"{crew.url}/mcp"
    assert "cb_" not in (root / ".mcp.json").read_text()  # the token stays in the environment
    again = await crew.run("connect", "--repo", str(root), "-p", "shop", who="lead", stdin="")
    assert again.code == 0, again
    assert "added nobody" in again.stdout
    assert ".mcp.json: already connected" in again.stdout
    undone = await crew.run("connect", "--repo", str(root), "--undo", stdin="")
    assert undone.stdout.splitlines() == ["restored .mcp.json", "restored .claude/settings.json"]
    assert (root / ".mcp.json").read_bytes() == THEIR_MCP
    assert not (root / ".claude/settings.json").exists()


async def test_a_refused_file_changes_nothing_at_all(crew: Crew, tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / ".claude/settings.json").write_text('{"hooks": []}')
    refused = await crew.run("connect", "--repo", str(root), "-p", "shop", who="lead", stdin="")
    assert refused.code == 2, refused
    assert refused.stderr.count("\n") == 1
    assert ".claude/settings.json: hooks is not an object" in refused.stderr
    assert not (root / ".mcp.json").exists()
    names = {a["name"] for a in (await crew.api("/agents"))["items"]}
    assert "data-engineer" not in names
    nothing = await crew.run("connect", "--repo", str(root), "--undo", stdin="")
    assert nothing.code == 3
    assert "nothing to undo" in nothing.stderr
