"""The server-side settings as the admin commands read them (a light import: no database code)."""

from __future__ import annotations

from pydantic import ValidationError

from crewboard.cli.errors import EXIT_USAGE, CliError
from crewboard.config import Settings


def load_settings() -> Settings:
    """Settings from ``CREWBOARD_*``; a bad value is a one-line configuration error."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = "CREWBOARD_" + "_".join(str(part) for part in error["loc"]).upper()
            message = error["msg"].removeprefix("Value error, ")
            problems.append(message if name in message else f"{name}: {message}")
        raise CliError("invalid configuration: " + "; ".join(problems), EXIT_USAGE) from exc
