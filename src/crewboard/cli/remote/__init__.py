"""cli.remote."""
