"""``python -m bench.memory`` end to end: real servers, real wrk; a figure at every stage.
No memory thresholds: the figures are for docs/memory.md, not for the tests."""

from __future__ import annotations

import pytest

from bench import memory
from tests.bench.test_suite import _require_postgres, _require_wrk
from tests.conftest import BACKENDS
from tests.support.backends import postgres_admin_url

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("heavy")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_server_memory_is_read_at_every_stage(backend: str) -> None:
    _require_wrk()
    if backend == "postgresql":
        _require_postgres()
    args = ["--tasks", "300", "--samples", "5", "--seconds", "1", "--databases", backend]
    results = memory.main([*args, "--postgres-admin-url", postgres_admin_url()])
    stages = results[backend]
    assert list(stages) == list(memory.STAGES)
    for figures in stages.values():
        assert figures["VmHWM"] >= figures["VmRSS"] > 10  # a Python server holds far more
    table = memory.render(results, memory.parse(args))
    assert "| after the claim run |" in table
