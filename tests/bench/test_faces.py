"""``bench/faces.py`` end to end on SQLite: a real server, real wrk; every run answered with
successes only and the table is there. No timed assertions: the machine is shared."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.common import tmp_sqlite

from bench import faces
from tests.bench.test_suite import _require_wrk

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("heavy")]


def test_every_face_of_every_operation_is_measured(tmp_path: Path) -> None:
    _require_wrk()
    # Enough ready tasks for a second of claims on each face (the pool running dry would
    # answer nothing-ready, which the run counts as a failure).
    results = faces.measure(tmp_sqlite(tmp_path, "faces"), seconds=1, rounds=1, tasks=8000)
    assert set(results) == {"healthz", *faces.OPERATIONS}
    for name in faces.OPERATIONS:
        for face in ("REST", "MCP"):
            (figure,) = results[name][face]
            assert figure.rate > 0, (name, face)
            assert figure.failed == 0, (name, face)
    table = faces.report(results)
    assert len(table) == 3 + len(faces.OPERATIONS)
