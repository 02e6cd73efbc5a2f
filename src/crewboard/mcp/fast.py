"""A plain ``tools/call`` answered without the SDK's per-request set-up.

Why: in stateless mode the MCP SDK builds, for every POST, a transport, memory streams, a
dispatcher and a server task, and tears them down again; measured on a claim, that set-up cost
about as much as the claim itself (MCP claims ran at 50-70 % of REST's). Agents mostly send one
kind of request, a ``tools/call``, so that one is recognised here and answered by the same
``run_tool`` the SDK's handler calls, serialised the way the SDK serialises it
(``tests/mcp/test_fast.py`` compares the bytes of both answers).

Only the plainest form is taken: a POST whose headers pass the SDK's own checks (Accept,
Content-Type, transport security), no protocol version header or one of the handshake versions
the SDK answers the same way, and a body that is exactly ``{"jsonrpc": "2.0", "id", "method":
"tools/call", "params": {"name", "arguments"?}}``. Anything else, including every malformed or
unusual request, goes to the SDK, which answers it as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pydantic_core
from mcp.server.streamable_http import check_accept_headers
from mcp.server.transport_security import TransportSecurityMiddleware
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from mcp_types import DEFAULT_NEGOTIATED_VERSION, CallToolResult, JSONRPCResponse, methods
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.requests import Request

_SECURITY = TransportSecurityMiddleware(None)  # what the SDK's transport applies (no settings)
_VERSION_HEADER = MCP_PROTOCOL_VERSION_HEADER.lower()
_ENVELOPE = frozenset({"jsonrpc", "id", "method", "params"})
_PARAMS = frozenset({"name", "arguments"})


@dataclass(frozen=True, slots=True)
class PlainCall:
    """A ``tools/call`` this module answers: its id, tool, arguments and protocol version."""

    ident: int | str
    name: str
    arguments: dict[str, Any] | None
    version: str


async def plain_tool_call(request: Request, body: bytes) -> PlainCall | None:
    """The request as a ``PlainCall`` if this module answers it, else None."""
    version = request.headers.get(_VERSION_HEADER, DEFAULT_NEGOTIATED_VERSION)
    if version not in HANDSHAKE_PROTOCOL_VERSIONS:
        return None
    if request.headers.get("mcp-session-id") is not None:
        return None
    has_json, _ = check_accept_headers(request)
    if not has_json or await _SECURITY.validate_request(request, is_post=True) is not None:
        return None
    try:
        message = pydantic_core.from_json(body)  # the SDK's parser: the same JSON is taken
    except ValueError:
        return None
    if not isinstance(message, dict) or message.keys() != _ENVELOPE:
        return None
    ident, params = message["id"], message["params"]
    plain_id = isinstance(ident, str) or (isinstance(ident, int) and not isinstance(ident, bool))
    if message["jsonrpc"] != "2.0" or message["method"] != "tools/call" or not plain_id:
        return None
    if not isinstance(params, dict) or not params.keys() <= _PARAMS or "name" not in params:
        return None
    name, arguments = params["name"], params.get("arguments")
    if not isinstance(name, str) or not (arguments is None or isinstance(arguments, dict)):
        return None
    return PlainCall(ident, name, arguments, version)


def answer(call: PlainCall, result: CallToolResult) -> bytes:
    """The JSON-RPC answer, shaped as the SDK's runner shapes a result for the call's protocol
    version (``Runner._serialize``) and serialised as its transport serialises it."""
    dumped = result.model_dump(by_alias=True, mode="json", exclude_none=True)
    shaped = methods.serialize_server_result("tools/call", call.version, dumped)
    response = JSONRPCResponse(jsonrpc="2.0", id=call.ident, result=shaped)
    return response.model_dump_json(by_alias=True, exclude_unset=True).encode()
