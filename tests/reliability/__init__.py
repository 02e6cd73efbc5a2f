"""Fault tests with real OS processes (``-m reliability``; ``CREWBOARD_RELIABILITY=long``)."""
