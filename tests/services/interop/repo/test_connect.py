"""connect's files: merged into what is there, the same on a second run, and put back byte
for byte by undo; a file it will not read (a link, a FIFO, not JSON) changes nothing."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from crewboard.services.core import Invalid, NotFound
from crewboard.services.interop.repo import (
    CONNECT_BACKUP,
    apply_connect,
    plan_connect,
    protocol_section,
    read_agent_files,
    undo_connect,
)

TEMPLATE = Path(__file__).resolve().parents[3] / "support" / "template" / "pristine"
URL = "http://127.0.0.1:8765"
# A user's own files, with their own spacing, another server and other hooks.
THEIR_MCP = b'{"mcpServers": {"github": {"command": "gh-mcp", "env": {"GH_TOKEN": "x"}}}}'
THEIR_SETTINGS = (
    b'{\n    "model": "opus",\n    "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": '
    b'[{"type": "command", "command": "./guard.sh"}]}]}\n}'
)


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mode & 0o777)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(TEMPLATE, root)
    return root


def _connect(root: Path, *, stdio: bool = False) -> None:
    apply_connect(root, plan_connect(root, URL, stdio=stdio))


def test_the_template_gets_the_server_and_the_hooks_and_undo_removes_them(repo: Path) -> None:
    before = _tree(repo)
    _connect(repo)
    mcp = json.loads((repo / ".mcp.json").read_text())
    assert mcp == {
        "mcpServers": {
            "crewboard": {
                "type": "http",
                "url": f"{URL}/mcp",
                "headers": {"Authorization": "Bearer ${CREWBOARD_TOKEN}"},
            }
        }
    }
    hooks = json.loads((repo / ".claude/settings.json").read_text())["hooks"]
    assert set(hooks) == {"TaskCompleted", "PreToolUse", "TeammateIdle", "SessionStart"}
    assert hooks["PreToolUse"][0]["matcher"] == "mcp__crewboard__TaskUpdate"
    assert (repo / ".claude/crewboard/.gitignore").read_text() == "*\n"
    assert (repo / CONNECT_BACKUP).stat().st_mode & 0o777 == 0o600
    once = _tree(repo)
    _connect(repo)
    assert _tree(repo) == once  # idempotent: the same bytes, the first backup kept
    assert undo_connect(repo) == [".mcp.json", ".claude/settings.json"]
    assert _tree(repo) == before
    assert not (repo / ".claude/crewboard").exists()
    with pytest.raises(NotFound):
        undo_connect(repo)


def test_existing_files_are_merged_and_restored_byte_for_byte(repo: Path) -> None:
    (repo / ".mcp.json").write_bytes(THEIR_MCP)
    (repo / ".mcp.json").chmod(0o600)
    (repo / ".claude/settings.json").write_bytes(THEIR_SETTINGS)
    before = _tree(repo)
    _connect(repo, stdio=True)
    mcp = json.loads((repo / ".mcp.json").read_text())["mcpServers"]
    assert mcp["github"] == {"command": "gh-mcp", "env": {"GH_TOKEN": "x"}}
    assert mcp["crewboard"] == {
        "command": "crewboard",
        "args": ["mcp"],
        "env": {"CREWBOARD_URL": URL, "CREWBOARD_TOKEN": "${CREWBOARD_TOKEN}"},
    }
    settings = json.loads((repo / ".claude/settings.json").read_text())
    assert settings["model"] == "opus"
    assert [g["matcher"] for g in settings["hooks"]["PreToolUse"]] == [
        "Bash",
        "mcp__crewboard__TaskUpdate",
    ]
    once = _tree(repo)
    _connect(repo, stdio=True)
    assert _tree(repo) == once
    undo_connect(repo)
    assert _tree(repo) == before  # bytes and permissions


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        (".mcp.json", b"{not json", "not valid JSON"),
        (".mcp.json", b"[1, 2]", "no JSON object"),
        (".mcp.json", b'{"mcpServers": []}', "mcpServers is not an object"),
        (".claude/settings.json", b'{"hooks": {"SessionStart": {}}}', "is not a list"),
        (".claude/settings.json", b"\xff\xfe", "not valid JSON"),
    ],
)
def test_a_file_it_cannot_merge_changes_nothing(
    repo: Path, name: str, content: bytes, words: str
) -> None:
    (repo / name).write_bytes(content)
    before = _tree(repo)
    with pytest.raises(Invalid, match=words):
        _connect(repo)
    assert _tree(repo) == before


def test_links_and_special_files_are_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.json"
    outside.write_text("{}")
    (repo / ".mcp.json").symlink_to(outside)
    with pytest.raises(Invalid, match="symbolic link"):
        _connect(repo)
    assert outside.read_text() == "{}"
    (repo / ".mcp.json").unlink()
    os.mkfifo(repo / ".claude/settings.json")
    with pytest.raises(Invalid, match="not a regular file"):
        _connect(repo)
    assert not (repo / ".mcp.json").exists()


def test_agent_files_are_read_as_regular_files_only(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("API_KEY=hunter2\n")
    (repo / ".claude/agents/spy.md").symlink_to(secret)
    with pytest.raises(Invalid, match="symbolic link"):
        read_agent_files(repo)
    (repo / ".claude/agents/spy.md").unlink()
    names = [name for name, _ in read_agent_files(repo)]
    assert names == ["architect", "backend", "domain-expert", "frontend", "qa", "reviewer"]
    assert all(domain for _, domain in read_agent_files(repo))


def test_no_claude_folder_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match=r"no \.claude folder"):
        plan_connect(tmp_path, URL, stdio=False)


def test_the_protocol_section_is_added_once_and_undone(repo: Path) -> None:
    before = _tree(repo)
    _connect(repo)  # first without the section: its backup must grow when it comes
    apply_connect(repo, plan_connect(repo, URL, stdio=False, protocol=True))
    backend = (repo / ".claude/agents/backend.md").read_text()
    assert backend.count("## Tracker & Team Protocol (crewboard)") == 1
    assert backend.endswith(protocol_section())
    once = _tree(repo)
    apply_connect(repo, plan_connect(repo, URL, stdio=False, protocol=True))
    assert _tree(repo) == once
    restored = undo_connect(repo)
    assert ".claude/agents/backend.md" in restored
    assert _tree(repo) == before


def test_the_section_is_the_one_docs_agents_md_shows() -> None:
    docs = (Path(__file__).resolve().parents[4] / "docs" / "agents.md").read_text()
    assert f"```markdown\n{protocol_section()}```" in docs


def test_undo_restores_only_files_connect_writes(repo: Path) -> None:
    _connect(repo)
    backup = json.loads((repo / CONNECT_BACKUP).read_text())
    backup["files"]["../outside.txt"] = None
    (repo / CONNECT_BACKUP).write_text(json.dumps(backup))
    with pytest.raises(Invalid, match="not a file connect writes"):
        undo_connect(repo)


def test_a_linked_folder_on_the_way_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.move(repo / ".claude", outside)
    (repo / ".claude").symlink_to(outside)
    before = _tree(outside)
    with pytest.raises(Invalid, match=r"\.claude is a symbolic link"):
        _connect(repo)
    assert _tree(outside) == before
    assert not (repo / ".mcp.json").exists()


def test_a_rewritten_file_keeps_its_permissions_and_the_backup_is_owner_only(
    repo: Path,
) -> None:
    (repo / ".mcp.json").write_bytes(THEIR_MCP)  # holds another server's token
    (repo / ".mcp.json").chmod(0o600)
    _connect(repo)
    assert (repo / ".mcp.json").stat().st_mode & 0o777 == 0o600
    assert (repo / CONNECT_BACKUP).stat().st_mode & 0o777 == 0o600
    assert (repo / ".claude/settings.json").stat().st_mode & 0o777 == 0o644
