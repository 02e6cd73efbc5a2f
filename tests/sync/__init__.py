"""Tests of crewboard.sync."""
