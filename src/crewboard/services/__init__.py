"""Business rules. Every face (REST, MCP, CLI, web) calls these; none of them writes SQL."""
