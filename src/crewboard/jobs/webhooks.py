"""The webhook job: queue deliveries for new events, send the due ones, record the outcome.

The database steps are services/webhooks/outbox.py, each in its own short transaction; the
HTTP requests run between them, outside any transaction. A request that caused an event
never waits for a receiver: it only wrote the event.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass

import httpx

from crewboard import __version__
from crewboard.config import Settings
from crewboard.database import Database
from crewboard.jobs.runner import PeriodicJob
from crewboard.jobs.webhook_transport import BlockedConnect, checked_transport
from crewboard.services.core import unit_of_work
from crewboard.services.webhooks import (
    Outcome,
    Outgoing,
    claim,
    enqueue,
    finish,
    has_new_events,
)

logger = logging.getLogger(__name__)

# Deliveries sent at once per run, and event batches queued per run (the rest: next run).
SEND_BATCH = 50
QUEUE_ROUNDS = 20


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Crewboard-Signature`` value: HMAC-SHA256 of ``"<timestamp>.<body>"``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def request_parts(item: Outgoing, timestamp: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt."""
    body = json.dumps(item.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"crewboard-webhooks/{__version__}",
        "X-Crewboard-Event": item.kind,
        "X-Crewboard-Delivery": str(item.delivery_id),
        "X-Crewboard-Attempt": str(item.attempt),
        "X-Crewboard-Timestamp": timestamp,
        "X-Crewboard-Signature": sign(item.secret, timestamp, body),
    }
    return body, headers


async def send(client: httpx.AsyncClient, item: Outgoing, seconds: float) -> Outcome:
    """POST one delivery, all of it (resolving, each address tried, the answer's head) within
    ``seconds``: httpx's own timeouts bound each step, not their sum, and an attempt must end
    within its lease (outbox.claim). The response body is never read (nor stored)."""
    body, headers = request_parts(item, str(int(time.time())))
    try:
        async with asyncio.timeout(seconds):
            async with client.stream("POST", item.url, content=body, headers=headers) as response:
                code = response.status_code
    except (httpx.TimeoutException, TimeoutError):
        return Outcome(error="timed out")
    except httpx.ConnectError as exc:
        if isinstance(exc.__cause__, BlockedConnect) or isinstance(exc.__context__, BlockedConnect):
            return Outcome(error=f"refused by crewboard: {exc}")
        return Outcome(error=f"{type(exc).__name__}: {exc}")
    except httpx.HTTPError as exc:
        return Outcome(error=f"{type(exc).__name__}: {exc}")
    except httpx.InvalidURL as exc:  # no HTTPError: a URL saved before the save rule parsed it
        return Outcome(error=f"invalid URL: {exc}")
    return Outcome(status_code=code, error=None if 200 <= code < 300 else f"HTTP {code}")


@dataclass
class RunReport:
    """What one run did (for tests and logs)."""

    events: int = 0
    sent: int = 0
    delivered: int = 0


class WebhookSender:
    """One process's webhook worker; any number may run against one database."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings

    async def run(self) -> RunReport:
        """Queue what is new, then send what is due."""
        report = RunReport()
        for _ in range(QUEUE_ROUNDS):
            read = await self._enqueue()
            report.events += read or 0
            if not read:
                break
        async with unit_of_work(self.database, write=True) as session:
            claimed = await claim(session, self.settings, SEND_BATCH)
        if claimed:
            timeout = httpx.Timeout(self.settings.webhook_timeout_seconds)
            transport = checked_transport(allow_private=self.settings.webhook_allow_private)
            async with httpx.AsyncClient(
                timeout=timeout, follow_redirects=False, transport=transport, trust_env=False
            ) as client:
                outcomes = await asyncio.gather(*(self._deliver(client, i) for i in claimed))
            report.sent = len(claimed)
            report.delivered = sum(1 for ok in outcomes if ok)
        return report

    async def _enqueue(self) -> int | None:
        async with unit_of_work(self.database, write=False) as session:
            if not await has_new_events(session):
                return 0
        async with unit_of_work(self.database, write=True) as session:
            return await enqueue(session, self.settings)

    async def _deliver(self, client: httpx.AsyncClient, item: Outgoing) -> bool:
        outcome = await send(client, item, self.settings.webhook_timeout_seconds)
        async with unit_of_work(self.database, write=True) as session:
            status = await finish(session, item, outcome, self.settings)
        if not outcome.ok:
            logger.info(
                "webhook %d delivery %d attempt %d: %s; now %s",
                item.webhook_id,
                item.delivery_id,
                item.attempt,
                outcome.error,
                status,
            )
        return outcome.ok


def webhook_job(database: Database, settings: Settings) -> PeriodicJob:
    """The periodic webhook job of one server process."""
    return PeriodicJob(
        "webhooks", settings.webhook_check_seconds, WebhookSender(database, settings).run
    )
