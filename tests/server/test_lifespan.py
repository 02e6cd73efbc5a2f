"""The lifespan's background jobs: every one of them, or none when jobs are off."""

from __future__ import annotations

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.server.lifespan import background_jobs


def test_jobs_off_means_no_job_at_all(database: Database, settings: Settings) -> None:
    off = settings.model_copy(update={"jobs_enabled": False, "message_retention_days": 30})
    assert background_jobs(database, off) == []


def test_jobs_on_means_every_job(database: Database, settings: Settings) -> None:
    on = settings.model_copy(update={"jobs_enabled": True, "message_retention_days": 30})
    names = sorted(job.name for job in background_jobs(database, on))
    assert names == ["lease-expiry", "message-retention", "webhooks"]
    keep_all = on.model_copy(update={"message_retention_days": 0})
    assert sorted(job.name for job in background_jobs(database, keep_all)) == [
        "lease-expiry",
        "webhooks",
    ]
