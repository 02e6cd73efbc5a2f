"""Background work run by every server process; each job is safe to run in several at once."""
