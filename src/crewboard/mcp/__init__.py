"""The MCP face: the agent-teams tools over streamable HTTP (/mcp) and stdio."""
