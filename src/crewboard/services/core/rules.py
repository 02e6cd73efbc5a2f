"""Input rules shared by the services and the boundary schemas (one definition, many faces)."""

from __future__ import annotations

import posixpath
import re
from datetime import timedelta
from pathlib import PurePosixPath

from crewboard.services.core.errors import Invalid

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
AGENT_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$"
TEAM_NAME_PATTERN = AGENT_NAME_PATTERN  # team names look like agent names
TEAM_NAME_MAX = 64
SLUG_MAX = 64  # what SLUG_PATTERN allows
AGENT_NAME_MAX = 64  # what AGENT_NAME_PATTERN allows
ID_MAX = 2**31 - 1  # ids, task numbers and versions are 32-bit INTEGER columns
ADDRESS_MAX = 260  # a message sender or recipient: an agent name or "@" + email
REQUEST_STRING_MAX = 100_000  # any one string in a request body, before the field's own limit
TOKEN_DAYS_MAX = 3650  # the longest lifetime a token may be given
SETUP_SECRET_MAX = 256
TEAM_DESCRIPTION_MAX = 2000
TEAM_MEMBERS_PER_CALL = 50
EMAIL_MAX = 254
NAME_MAX = 200
DOMAIN_MAX = 500
PATH_MAX = 1024
TRACKER_PATH_MAX = 300
TOKEN_NAME_MAX = 100
PASSWORD_MIN = 8
PASSWORD_MAX = 256
MESSAGE_BODY_MAX = 20_000
MESSAGE_SUMMARY_MAX = 200
REQUEST_ID_MAX = 64

_SLUG = re.compile(SLUG_PATTERN)
_AGENT = re.compile(AGENT_NAME_PATTERN)
_TEAM = re.compile(TEAM_NAME_PATTERN)
_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def check_slug(slug: str) -> str:
    """Project slugs: lowercase letters, digits and inner dashes, at most 64 characters."""
    if not _SLUG.match(slug):
        raise Invalid(
            "a project slug is 1-64 lowercase letters, digits or inner dashes", field="slug"
        )
    return slug


def check_agent_name(name: str) -> str:
    """Agent names: lowercase letters, digits, inner ``.``, ``_`` or ``-`` (``domain-expert``)."""
    if not _AGENT.match(name):
        raise Invalid(
            "an agent name is 1-64 lowercase letters, digits or inner '.', '_', '-'",
            field="agent_name",
        )
    return name


def check_team_name(name: str, field: str = "name") -> str:
    """Team names: lowercase letters, digits, inner ``.``, ``_`` or ``-`` (``checkout-v2``)."""
    if not _TEAM.match(name):
        raise Invalid(
            "a team name is 1-64 lowercase letters, digits or inner '.', '_', '-'", field=field
        )
    return name


def check_text(value: str, field: str, max_len: int, *, required: bool = True) -> str:
    """Strip and bound a free-text field; refuse control characters other than newline/tab."""
    value = value.strip()
    if required and not value:
        raise Invalid(f"{field} must not be empty", field=field)
    if len(value) > max_len:
        raise Invalid(f"{field} is longer than {max_len} characters", field=field)
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
        raise Invalid(f"{field} contains control characters", field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate ("\ud800" in JSON) is no Unicode: PostgreSQL would refuse it (500).
        raise Invalid(f"{field} is not valid Unicode (a lone surrogate)", field=field) from None
    return value


def check_password(password: str) -> str:
    """Passwords: 8 to 256 characters (length matters, composition rules do not)."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise Invalid(
            f"a password is {PASSWORD_MIN} to {PASSWORD_MAX} characters", field="password"
        )
    return password


def check_email(email: str) -> str:
    """Normalise an e-mail address (the boundary validates its syntax)."""
    email = email.strip().lower()
    if not email or len(email) > EMAIL_MAX or "@" not in email or not email.isprintable():
        raise Invalid("not an e-mail address", field="email")
    return email


def check_relative_path(path: str, field: str, max_len: int) -> str:
    """A path inside a repository: relative, no ``..``, no backslashes."""
    path = check_text(path, field, max_len)
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or "\\" in path:
        raise Invalid(f"{field} must be a relative path inside the repository", field=field)
    return path


TRACKERS_DIR = ".claude/trackers/"


def check_tracker_path(path: str, field: str, max_len: int) -> str:
    """A tracker file: a ``.md`` file under ``.claude/trackers/``. Sync writes it into every
    teammate's repository, so it must not name an agent prompt, a CLAUDE.md or a command."""
    path = check_relative_path(path, field, max_len)
    norm = posixpath.normpath(path)
    if not norm.startswith(TRACKERS_DIR) or not norm.endswith(".md"):
        raise Invalid(f"{field} must be a .md file under {TRACKERS_DIR}", field=field)
    return path


def default_tracker_path(agent_name: str) -> str:
    """Where the seed protocol keeps an agent's tracker."""
    return f".claude/trackers/{agent_name}-tracker.md"


def parse_duration(text: str) -> timedelta:
    """``30m``, ``12h``, ``30d`` or ``2w``."""
    match = _DURATION.match(text.strip())
    if not match:
        raise Invalid("a duration is a number and a unit: 30m, 12h, 30d or 2w", field="expires_in")
    amount, unit = int(match.group(1)), match.group(2)
    if amount == 0:
        raise Invalid("a duration must be positive", field="expires_in")
    return timedelta(**{_UNITS[unit]: amount})
