"""Writing Claude Code files: ``<file>.lock`` directories, atomic replacement, the formats."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from crewboard.services.core import Invalid
from crewboard.services.interop.claude.files import (
    LockTimeout,
    default_claude_dir,
    read_team,
    write_files,
)
from crewboard.services.interop.claude.formats import (
    from_millis,
    iso,
    parse_timestamp,
    protocol_of,
    to_millis,
)
from crewboard.services.messages import Kind
from tests.support import claude_samples as sample

FILES = {"teams/web/config.json": {"name": "web"}, "teams/web/inboxes/qa.json": []}


def test_files_are_written_and_no_lock_or_temporary_file_is_left(tmp_path: Path) -> None:
    (tmp_path / "teams/web").mkdir(parents=True)
    (tmp_path / "teams/web/config.json").write_text('{"name": "old"}')
    assert write_files(tmp_path, FILES, lock_timeout=1) == list(FILES)
    assert json.loads((tmp_path / "teams/web/config.json").read_text()) == {"name": "web"}
    # JSON.stringify(data, null, 2): two-space indent, no trailing newline
    assert (tmp_path / "teams/web/config.json").read_text() == '{\n  "name": "web"\n}'
    leftovers = [p.name for p in tmp_path.rglob("*") if p.is_dir() or p.suffix != ".json"]
    assert sorted(leftovers) == ["inboxes", "teams", "web"]


def test_a_held_lock_makes_the_export_wait_then_fail_with_nothing_written(
    tmp_path: Path,
) -> None:
    held = tmp_path / "teams/web/inboxes/qa.json.lock"
    held.mkdir(parents=True)
    started = time.monotonic()
    with pytest.raises(LockTimeout) as caught:
        write_files(tmp_path, FILES, lock_timeout=0.3)
    assert time.monotonic() - started >= 0.3
    assert str(held) in caught.value.message
    assert "held by another process" in caught.value.message
    assert not (tmp_path / "teams/web/config.json").exists()  # all locks first, then writes
    assert held.is_dir()  # someone else's lock stays
    assert not (tmp_path / "teams/web/config.json.lock").exists()  # ours are gone


def test_a_lock_released_while_waiting_lets_the_write_go_on(tmp_path: Path) -> None:
    held = tmp_path / "teams/web/config.json.lock"
    held.mkdir(parents=True)
    release = threading.Timer(0.2, held.rmdir)
    release.start()
    try:
        write_files(tmp_path, FILES, lock_timeout=5)
    finally:
        release.join()
    assert json.loads((tmp_path / "teams/web/config.json").read_text()) == {"name": "web"}
    assert not held.exists()


def test_the_claude_folder_follows_claude_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path))
    assert default_claude_dir() == tmp_path
    monkeypatch.delenv("CLAUDE_CONFIG_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_claude_dir() == tmp_path / "home" / ".claude"


def test_times_round_trip_exactly() -> None:
    assert to_millis(from_millis(1770836587799)) == 1770836587799
    at = parse_timestamp("2026-02-11T08:27:54.622Z", "x")
    assert iso(at) == "2026-02-11T08:27:54.622Z"
    assert parse_timestamp(1770836587799, "x") == from_millis(1770836587799)


@pytest.mark.parametrize(
    ("text", "kind", "request_id", "approve", "body"),
    [
        ("hello", Kind.MESSAGE, None, None, "hello"),
        ("{not json", Kind.MESSAGE, None, None, "{not json"),
        (
            '{"type":"shutdown_request","requestId":"s1","reason":"done"}',
            Kind.SHUTDOWN_REQUEST,
            "s1",
            None,
            "done",
        ),
        ('{"type":"shutdown_approved","requestId":"s1"}', Kind.SHUTDOWN_RESPONSE, "s1", True, ""),
        (
            '{"type":"shutdown_rejected","requestId":"s1","reason":"busy"}',
            Kind.SHUTDOWN_RESPONSE,
            "s1",
            False,
            "busy",
        ),
        (
            '{"type":"shutdown_response","request_id":"s1","approve":true}',
            Kind.SHUTDOWN_RESPONSE,
            "s1",
            True,
            "",
        ),
        (
            '{"type":"plan_approval_request","requestId":"p1","planContent":"1. x"}',
            Kind.PLAN_APPROVAL_REQUEST,
            "p1",
            None,
            "1. x",
        ),
        (
            '{"type":"plan_approval_response","requestId":"p1","approved":true}',
            Kind.PLAN_APPROVAL_RESPONSE,
            "p1",
            True,
            "",
        ),
        (
            '{"type":"idle_notification","idleReason":"available"}',
            Kind.IDLE,
            None,
            None,
            "idle (available)",
        ),
        (
            '{"type":"task_assignment","taskId":"3","subject":"Tests"}',
            Kind.TASK_ASSIGNMENT,
            None,
            None,
            "task 3 assigned: Tests",
        ),
        ('{"type":"something_new"}', Kind.MESSAGE, None, None, '{"type":"something_new"}'),
    ],
)
def test_protocol_messages_are_recognised(
    text: str, kind: Kind, request_id: str | None, approve: bool | None, body: str
) -> None:
    protocol = protocol_of(text, "x")
    assert (protocol.kind, protocol.request_id, protocol.approve, protocol.body) == (
        kind,
        request_id,
        approve,
        body,
    )


def test_a_team_read_follows_no_link_and_no_fifo(tmp_path: Path) -> None:
    root = sample.write_team(tmp_path / "claude")
    secret = tmp_path / "secret.json"
    secret.write_text('[{"from": "x", "text": "AWS_SECRET=hunter2"}]')
    inboxes = root / "teams" / sample.TEAM / "inboxes"
    (inboxes / "spy.json").symlink_to(secret)
    with pytest.raises(Invalid, match=r"inboxes/spy\.json is a symbolic link"):
        read_team(root, sample.TEAM)
    (inboxes / "spy.json").unlink()
    os.mkfifo(root / "tasks" / sample.TEAM / "99.json")
    with pytest.raises(Invalid, match=r"99\.json is a FIFO"):
        read_team(root, sample.TEAM)


def test_an_export_writes_nothing_through_a_linked_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "claude/teams").mkdir(parents=True)
    (tmp_path / "claude/teams/web").symlink_to(outside)
    with pytest.raises(Invalid, match=r"teams/web is a symbolic link"):
        write_files(tmp_path / "claude", FILES, lock_timeout=1)
    assert list(outside.iterdir()) == []
