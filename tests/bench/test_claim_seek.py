"""``python -m bench.claim_seek``: the claim statements straight on sqlite3, every claim a
real one, a figure per block. No time thresholds (the figures are for docs/performance.md)."""

from __future__ import annotations

import pytest

from bench import claim_seek


def test_every_block_claims_and_is_measured() -> None:
    rows = claim_seek.main(["--tasks", "400", "--claims", "60", "--block", "20"])
    assert [done for done, _, _ in rows] == [20, 40, 60]
    assert all(seek > 0 and claim > 0 for _, seek, claim in rows)


def test_a_queue_run_dry_is_an_error_not_a_figure() -> None:
    with pytest.raises(RuntimeError, match="found nothing"):
        claim_seek.main(["--tasks", "30", "--claims", "40", "--block", "40"])
