"""The lifespan: its background jobs (every one, or none when jobs are off), and what it says."""

from __future__ import annotations

import logging

import pytest
from asgi_lifespan import LifespanManager

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.server.app import create_app
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


async def test_the_server_says_which_database_it_serves_without_its_password(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    secret = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://crew:s3cret-pw@db.example:5432/crew"}
    )
    shown = Database(secret).url.render_as_string(hide_password=True)
    caplog.set_level(logging.INFO, logger="crewboard.server.lifespan")
    app = create_app(settings, database=database)
    async with LifespanManager(app):
        pass
    served = [r.getMessage() for r in caplog.records if r.getMessage().startswith("serving ")]
    assert served == [f"serving {database.url.render_as_string(hide_password=True)}"]
    assert "s3cret-pw" not in shown
    assert "crew:***@db.example" in shown
