"""``bench/peers.py``'s quick path end to end: a real server, the official MCP client; the
figures must be there and sane. No timed assertions: the machine is shared."""

from __future__ import annotations

import pytest

from bench import peers
from tests.bench.test_suite import _require_postgres
from tests.conftest import BACKENDS
from tests.support.backends import postgres_admin_url

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("heavy")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_quick_peers_workload_is_measured(backend: str) -> None:
    if backend == "postgresql":
        _require_postgres()
    before = peers.DOC.read_text()
    argv = ["--quick", "--no-write", "--databases", backend]
    results = peers.main([*argv, "--postgres-admin-url", postgres_admin_url()])
    assert peers.DOC.read_text() == before  # --no-write writes nothing
    run = results["databases"][backend]
    tasks, messages, lists = (peers.QUICK[k] for k in ("tasks", "messages", "lists"))
    claim = run["claim"]
    assert claim["agents"] == peers.AGENTS
    assert claim["told"] == claim["owned"] == tasks  # every task claimed, each once
    assert claim["doubles"] == 0
    assert claim["claims_s"] > 0
    assert run["send"]["senders"] == peers.AGENTS + 1
    assert run["send"]["sends_s"] > 0
    assert [run[p]["calls"] for p in ("create", "send", "list")] == [tasks, messages, lists]
    for phase in ("create", "claim", "send", "list"):
        figures = run[phase]
        assert 0 < figures["p50_ms"] <= figures["p99_ms"], (phase, figures)
        assert figures["server_cpu_ms"] >= 0, phase  # /proc counts in clock ticks
        assert figures["client_cpu_ms"] > 0, phase
    assert sum(run[phase]["server_cpu_ms"] for phase in ("create", "claim", "send")) > 0
    block = peers.render(results)
    assert f"crewboard now, {backend}" in block
    assert "claude-code-teams-mcp (quoted)" in block
    assert all(label in block for label, *_ in peers.ROWS.values())


def test_double_claims_are_counted() -> None:
    owned: dict[int, str | None] = {1: "a", 2: "b", 3: "c"}
    assert peers.double_claims([("a", 1), ("b", 2), ("c", 3)], owned) == 0
    assert peers.double_claims([("a", 1), ("b", 1), ("b", 2)], owned) == 1  # two told #1
    assert peers.double_claims([("a", 1), ("a", 2)], owned) == 1  # #2 is b's in the database
