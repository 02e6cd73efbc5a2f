"""``make bench``'s quick path end to end: a real server, real wrk, real ceilings; the
figures must be there and sane. No timed assertions: the machine is shared."""

from __future__ import annotations

import asyncio
import os
import shutil
from typing import Any

import asyncpg
import pytest
from bench.common import asyncpg_dsn

from bench import report, suite
from tests.conftest import BACKENDS
from tests.support.backends import postgres_admin_url, postgres_required

# Real processes (server, wrk) or Chromium: one worker runs them in turn (make pytest).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("heavy")]


def _require_wrk() -> None:
    if shutil.which("wrk") is not None:
        return
    if os.environ.get("CREWBOARD_TEST_REQUIRE_BENCH", "") not in ("", "0", "false"):
        pytest.fail("wrk is required (CREWBOARD_TEST_REQUIRE_BENCH) but not installed")
    pytest.skip("wrk is not installed (make wrk); the claim runs need it")


def _require_postgres() -> None:
    async def probe() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(postgres_admin_url()), timeout=5)
        await conn.close()

    try:
        asyncio.run(probe())
    except (OSError, ConnectionError) as exc:
        if postgres_required():
            pytest.fail(f"PostgreSQL is required (CREWBOARD_TEST_REQUIRE_POSTGRES) but: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")


def _check(run: dict[str, Any]) -> None:
    assert run["seed_s"] >= 0
    assert run["healthz_rps"] > 0
    assert run["peak_rss_mib"] > 10  # a Python server holds far more than 10 MiB
    assert run["peak_rss_mib"] >= max(run["rss_at_end_mib"], run["peak_rss_at_ready_mib"])
    assert set(run["ceilings"]) >= {
        "ready",
        "create",
        "update",
        "claim",
        "send",
        "inbox",
        "tracker",
    }
    assert all(rate > 0 for rate in run["ceilings"].values()), run["ceilings"]
    for name, figures in run["latency"].items():
        assert 0 < figures["p50_ms"] <= figures["p99_ms"], (name, figures)
        assert figures["ops_s"] > 0, name
    assert [claim["clients"] for claim in run["claims"]] == [8, 64, 256]
    for claim in run["claims"]:
        assert claim["ops_s"] > 0, claim
        assert claim["told"] > 0, claim
        assert claim["doubles"] == 0, claim  # no client told it got a task another got


@pytest.mark.parametrize("backend", BACKENDS)
def test_quick_suite_measures_every_workload(backend: str) -> None:
    _require_wrk()
    if backend == "postgresql":
        _require_postgres()
    before = report.DOC.read_text()
    results = suite.main(
        [
            "--quick",
            "--no-write",
            "--samples",
            "10",
            "--databases",
            backend,
            "--postgres-admin-url",
            postgres_admin_url(),
        ]
    )
    assert report.DOC.read_text() == before  # --no-write writes nothing
    runs = results["databases"][backend]
    assert list(runs) == [str(size) for size in suite.QUICK["sizes"]]
    for run in runs.values():
        _check(run)
    block = report.render(results)
    assert "claims/s, wrk -c256" in block
    assert "server RSS MiB" in block
    assert "yardstick: `GET /healthz`" in block
