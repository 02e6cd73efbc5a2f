"""Who may call which webhook route (the machinery is in ``tests.api.matrix``).

Webhooks are the project owners' (and admins'): their URLs may carry a receiver's token.
Every case starts from no webhooks and gets one made for it alone. The world's jobs are
off, so nothing is sent to the (unreachable) URLs. The check that every route has a row is
in ``test_authz_matrix``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from crewboard.services.core import unit_of_work
from crewboard.services.webhooks import WebhookService
from tests.api.matrix import ACTORS, Call, Row, World, build_world, fill, run_case
from tests.support.factory import SYSTEM

# An exhaustive grid: make test runs it, make test-fast (the inner loop) leaves it out.
pytestmark = pytest.mark.exhaustive

URL = "https://hooks.example.com/hook"  # never delivered: the jobs do not run here


@dataclass(frozen=True)
class Hook:
    """Prepares a case: a fresh webhook of alpha (or none), and the body."""

    body: dict[str, Any] | None = None
    fresh: bool = True

    async def __call__(self, w: World, actor: str, route: str) -> Call:
        hook_id = 0
        async with unit_of_work(w.database, write=True) as session:
            hooks = WebhookService(session)
            # A project holds a bounded number of hooks: start each case from none.
            for old in (await hooks.list(SYSTEM, "alpha", limit=200)).items:
                await hooks.delete(SYSTEM, "alpha", old.id)
            if self.fresh:
                hook_id = (await hooks.create(SYSTEM, "alpha", url=URL)).id
        return Call(fill(route, hook_id=hook_id), w.tokens[actor], self.body)


HOOKS = "/projects/{slug}/webhooks"
HOOK = HOOKS + "/{hook_id}"

# Grid columns, in ACTORS order (spaces only group them):
#     anon bad | viewer agent member owner admin | outsider | tok_a tok_b | ro
# Marks: + the row's ok status   U 401   F 403 forbidden   N 404
READ = "UU FFF++ N FN +"
WRITE = "UU FFF++ N FN F"

# fmt: off
MATRIX = (
    #   method    route                   ok   grid   prepare
    Row("GET",    HOOKS,                  200, READ,  Hook(fresh=False)),
    Row("POST",   HOOKS,                  201, WRITE, Hook({"url": URL}, fresh=False),
        shows=("url", URL)),
    Row("GET",    HOOK,                   200, READ,  Hook()),
    Row("PATCH",  HOOK,                   200, WRITE, Hook({"kinds": ["task."]}),
        shows=("kinds", ["task."])),
    Row("DELETE", HOOK,                   200, WRITE, Hook()),
    Row("POST",   HOOK + "/ping",         202, WRITE, Hook(),
        shows=("kind", "webhook.ping")),
    Row("GET",    HOOK + "/deliveries",   200, READ,  Hook()),
)
# fmt: on


@pytest.fixture(scope="module")
async def world(migrated_database: Database, base_settings: Settings) -> AsyncIterator[World]:
    settings = base_settings.model_copy(update={"jobs_enabled": False})
    async with build_world(migrated_database, settings) as world:
        yield world


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", MATRIX, ids=lambda row: row.id)
async def test_authorization(world: World, row: Row, actor: str) -> None:
    await run_case(world, row, actor)
