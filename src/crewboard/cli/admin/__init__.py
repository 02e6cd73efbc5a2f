"""cli.admin."""
