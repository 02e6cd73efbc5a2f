"""Real ASGI middleware only: request id, access log and body limit; error handling."""
