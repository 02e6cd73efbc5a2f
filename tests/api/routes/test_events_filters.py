"""The events stream's filters refuse what the database cannot compare (regressions)."""

from __future__ import annotations

import httpx
import pytest

from tests.api.harness import API, assert_problem
from tests.support.factory import Factory
from tests.support.http import bearer


@pytest.mark.parametrize("subject", ["x\x00y", "task:1\x1f", "a\x7fb"])
async def test_a_control_character_in_the_subject_filter_is_422(
    client: httpx.AsyncClient, factory: Factory, subject: str
) -> None:
    # A NUL reached PostgreSQL, which cannot hold one in text: the stream failed with a 500.
    owner = await factory.user("owner@example.com")
    await factory.project("alpha", owner)
    token = await factory.token(owner)
    response = await client.get(
        f"{API}/projects/alpha/events",
        params={"subject": subject, "once": "true"},
        headers=bearer(token),
    )
    assert_problem(response, 422, "validation")
    assert subject not in response.text
    ok = await client.get(
        f"{API}/projects/alpha/events",
        params={"subject": "task:1", "once": "true"},
        headers=bearer(token),
    )
    assert ok.status_code == 200
