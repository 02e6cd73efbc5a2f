"""mcp.tools."""
