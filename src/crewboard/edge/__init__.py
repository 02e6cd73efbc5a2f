"""The edge every HTTP face shares: the one credential reader, the CSRF checks, the last-use
policy and the FastAPI dependency aliases (REST, MCP and the dashboard all use them)."""
