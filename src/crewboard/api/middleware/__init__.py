"""Request id and access log, authentication, error handling."""
