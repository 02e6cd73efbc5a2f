"""The client commands' test rig: the task world, a live server, and the command pointed at it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cli import Result, run_in_process
from tests.support.world import SLUG, World

LEAD = "lead"


@dataclass
class Crew:
    """Project ``shop`` with its agents, served at ``url``; credentials in ``config_dir``."""

    url: str
    world: World
    config_dir: Path
    monkeypatch: pytest.MonkeyPatch

    def token(self, who: str) -> str:
        """The token of an agent, or of the lead (``LEAD``)."""
        return self.world.lead_token if who == LEAD else self.world.tokens[who]

    async def run(self, *args: str, who: str | None = None, stdin: str = "") -> Result:
        """``crewboard ARGS``; with ``who``, as that agent (or the lead) through the environment.

        Without ``who`` the environment stays as it is (the fixture starts with no
        ``CREWBOARD_URL``/``CREWBOARD_TOKEN``, so the stored login counts).
        """
        if who is not None:
            self.monkeypatch.setenv("CREWBOARD_URL", self.url)
            self.monkeypatch.setenv("CREWBOARD_TOKEN", self.token(who))
        return await run_in_process(*args, stdin=stdin)

    async def json(self, *args: str, who: str | None = None) -> Any:
        """``crewboard ARGS --json``: it must succeed, with JSON alone on stdout."""
        result = await self.run(*args, "--json", who=who)
        assert result.code == 0, result
        return json.loads(result.stdout)

    async def api(self, path: str, who: str = LEAD, **params: str) -> Any:
        """``GET /api/v1/projects/shop{path}`` straight from the server, as JSON."""
        return await self.api_in(SLUG, path, who, **params)

    async def api_in(self, slug: str, path: str, who: str = LEAD, **params: str) -> Any:
        """``GET /api/v1/projects/{slug}{path}`` straight from the server, as JSON."""
        async with httpx.AsyncClient(base_url=self.url) as http:
            response = await http.get(
                f"/api/v1/projects/{slug}{path}",
                params=params,
                headers={"authorization": f"Bearer {self.token(who)}"},
            )
        assert response.status_code == 200, response.text
        return response.json()

    @property
    def credentials_file(self) -> Path:
        return self.config_dir / "credentials.json"
