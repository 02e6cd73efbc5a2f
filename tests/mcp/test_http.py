"""The HTTP door of ``/mcp``: no answer leaves before the credential is accepted."""

from __future__ import annotations

import pytest

from crewboard.config import Settings
from crewboard.database import Database
from tests.edge.faces import MCP_HEADERS, crew, faces_client, rpc
from tests.support.factory import Factory

# Tool calls the SDK answers itself, without running a tool.
MALFORMED = {
    "no name": rpc("tools/call", {}),
    "arguments not an object": rpc("tools/call", {"name": "TaskList", "arguments": [1]}),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=list(MALFORMED))
async def test_a_malformed_tool_call_with_a_bad_token_is_still_401(
    body: dict[str, object], database: Database, settings: Settings, factory: Factory
) -> None:
    w = await crew(database, settings, factory)
    revoked = await w.revoke(await w.agent_token())
    async with faces_client(settings, database) as http:
        for token, code in (
            ("cb_unknown", "invalid-token"),
            (revoked, "revoked-token"),
            (await w.person_token(), "agent-token-required"),
        ):
            headers = {**MCP_HEADERS, "authorization": f"Bearer {token}"}
            response = await http.post("/mcp", json=body, headers=headers)
            assert response.status_code == 401, response.text
            assert response.json()["error"] == code
        # The same call with a good token gets the SDK's own answer.
        headers = {**MCP_HEADERS, "authorization": f"Bearer {await w.agent_token()}"}
        response = await http.post("/mcp", json=body, headers=headers)
        assert response.status_code != 401, response.text
        assert "error" in response.json(), response.text
