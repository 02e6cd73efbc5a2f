"""REST route definitions under /api/v1."""
